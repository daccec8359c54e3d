// Command gen-sdk writes the Python, TypeScript (Node.js) and Go SDKs of a Pulumi package
// from its package schema, with Pulumi's own code generators.
//
//	gen-sdk -schema schema.json -out sdk -version 0.3.0 [-languages python,nodejs,go]
//
// writes sdk/python, sdk/nodejs and sdk/go. `pulumi package gen-sdk` does the same by
// handing each language to that language's host, which is not available everywhere
// (see scripts/gen-sdk.sh); the generators themselves are Go packages of
// github.com/pulumi/pulumi/pkg/v3, called here directly.
//
// The schema must be self-contained: a reference to another package is an error, as no
// plugin is loaded. The SDKs are generated in the package-pack style (the schema's
// meta.supportPack), so the version is written into package.json, setup.py,
// pulumi-plugin.json and the Go module rather than left as a placeholder.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/blang/semver"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// tool is the name the generators write into each file's "do not edit" header.
const tool = "pulumi-qpu gen-sdk"

// generators maps each supported language to its code generator.
var generators = map[string]func(*schema.Package) (map[string][]byte, error){
	"python": func(pkg *schema.Package) (map[string][]byte, error) {
		return python.GeneratePackage(tool, pkg, nil, noReferences{})
	},
	"nodejs": func(pkg *schema.Package) (map[string][]byte, error) {
		return nodejs.GeneratePackage(tool, pkg, nil, nil, false, noReferences{})
	},
	"go": func(pkg *schema.Package) (map[string][]byte, error) {
		return gogen.GeneratePackage(tool, pkg, nil)
	},
}

// placeholders are what the generators write when a package has no version; any left in
// the output means the version was not filled in, which is an error.
var placeholders = []string{"${VERSION}", `VERSION = "0.0.0"`, `version = "0.0.0"`}

func main() {
	schemaPath := flag.String("schema", "", "the package schema (JSON)")
	out := flag.String("out", "", "the folder to write <language>/ into (each is replaced)")
	version := flag.String("version", "", "the SDKs' version (semver); default: the schema's own")
	languages := flag.String("languages", "python,nodejs,go", "comma-separated languages")
	flag.Parse()
	if *schemaPath == "" || *out == "" || flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*schemaPath, *out, *version, strings.Split(*languages, ",")); err != nil {
		fmt.Fprintf(os.Stderr, "gen-sdk: %v\n", err)
		os.Exit(1)
	}
}

func run(schemaPath, out, version string, languages []string) error {
	for _, lang := range languages {
		if _, ok := generators[lang]; !ok {
			return fmt.Errorf("no generator for language %q (have: %s)", lang, known())
		}
	}
	// Bind once first, so that an invalid schema fails before anything is written.
	if _, err := load(schemaPath, version); err != nil {
		return err
	}
	for _, lang := range languages {
		// Each generator records its language's options on the package: bind afresh so
		// that no language sees another's.
		pkg, err := load(schemaPath, version)
		if err != nil {
			return err
		}
		files, err := generate(lang, pkg)
		if err != nil {
			return fmt.Errorf("generating the %s SDK: %w", lang, err)
		}
		dir := filepath.Join(out, lang)
		if err := write(dir, files); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "gen-sdk: wrote the %s SDK of %s v%s to %s (%d files)\n",
			lang, pkg.Name, pkg.Version, dir, len(files))
	}
	return nil
}

// generate runs one language's generator. The generators panic on some schemas they
// accept (Go: a default on a oneOf property yields invalid Go source) after printing the
// file they could not format to stderr: that print is kept in a file, and the panic
// becomes an error naming the cause and that file.
func generate(lang string, pkg *schema.Package) (files map[string][]byte, err error) {
	printed, err := os.CreateTemp("", "gen-sdk-"+lang+"-*.log")
	if err != nil {
		return nil, err
	}
	stderr := os.Stderr
	os.Stderr = printed
	defer func() {
		os.Stderr = stderr
		printed.Close()
		if r := recover(); r != nil {
			var lines []string
			for _, line := range strings.Split(fmt.Sprint(r), "\n") {
				if line = strings.TrimSpace(line); line != "" {
					lines = append(lines, line)
				}
			}
			err = fmt.Errorf("the code generator failed: %s (what it printed: %s)",
				strings.Join(lines, " "), printed.Name())
			return
		}
		os.Remove(printed.Name())
	}()
	return generators[lang](pkg)
}

// load reads and binds the schema, with the version (if given) and pack-style output set.
func load(schemaPath, version string) (*schema.Package, error) {
	data, err := os.ReadFile(schemaPath)
	if err != nil {
		return nil, err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(data, &spec); err != nil {
		return nil, fmt.Errorf("%s is not a package schema: %w", schemaPath, err)
	}
	if version != "" {
		if _, err := semver.ParseTolerant(version); err != nil {
			return nil, fmt.Errorf("version %q is not a semantic version: %w", version, err)
		}
		spec.Version = version
	}
	if spec.Version == "" {
		return nil, fmt.Errorf("%s has no version: pass -version", schemaPath)
	}
	if spec.Meta == nil {
		spec.Meta = &schema.MetadataSpec{}
	}
	spec.Meta.SupportPack = true
	pkg, diags, err := schema.BindSpec(spec, noReferences{}, schema.ValidationOptions{})
	if err != nil {
		return nil, fmt.Errorf("binding %s: %w", schemaPath, err)
	}
	if diags.HasErrors() {
		var lines []string
		for _, d := range diags {
			lines = append(lines, "  "+strings.TrimSpace(d.Summary+" "+d.Detail))
		}
		return nil, fmt.Errorf("%s is not a valid package schema:\n%s", schemaPath, strings.Join(lines, "\n"))
	}
	return pkg, nil
}

// write replaces dir with the generated files, refusing any version placeholder left.
func write(dir string, files map[string][]byte) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	for name, content := range files {
		for _, p := range placeholders {
			if strings.Contains(string(content), p) {
				return fmt.Errorf("%s still holds the version placeholder %s", name, p)
			}
		}
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, content, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func known() string {
	names := make([]string, 0, len(generators))
	for name := range generators {
		names = append(names, name)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// noReferences is the schema loader for a self-contained package: it loads nothing.
type noReferences struct{}

var errNoReferences = errors.New("the schema references another package; gen-sdk generates self-contained packages only")

func (noReferences) LoadPackage(name string, _ *semver.Version) (*schema.Package, error) {
	return nil, fmt.Errorf("%w (%s)", errNoReferences, name)
}

func (noReferences) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, fmt.Errorf("%w (%s)", errNoReferences, d.Name)
}

func (noReferences) LoadPackageReference(name string, _ *semver.Version) (schema.PackageReference, error) {
	return nil, fmt.Errorf("%w (%s)", errNoReferences, name)
}

func (noReferences) LoadPackageReferenceV2(
	_ context.Context, d *schema.PackageDescriptor,
) (schema.PackageReference, error) {
	return nil, fmt.Errorf("%w (%s)", errNoReferences, d.Name)
}
