// Scaleway QaaS quantum computing sessions as Pulumi resources.
package qpu
