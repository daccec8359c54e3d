// One Session through the qpu provider plugin, declared with the generated SDK (sdk/nodejs).
//
// Config (all optional): `platform` (default EMU-AER-16C-128M), `team` (a tag),
// `maxDuration` (default 1h). A new `team` or `maxDuration` updates the session in place;
// another `platform` replaces it.
import * as pulumi from "@pulumi/pulumi";
import * as qpu from "@pulumi-qpu/qpu";

export function program(): Record<string, pulumi.Output<unknown>> {
    const config = new pulumi.Config();
    const team = config.get("team") ?? "quantum";
    const session = new qpu.Session("session", {
        platformName: config.get("platform") ?? "EMU-AER-16C-128M",
        name: `${pulumi.getStack()}-typescript`,
        maxIdleDuration: "15m",
        maxDuration: config.get("maxDuration") ?? "1h",
        tags: [`team:${team}`, "example:typescript"],
    });
    return {
        sessionId: session.id,
        status: session.status,
        platformId: session.platformId,
        tags: session.tags,
        worstCaseCost: session.worstCaseCost,
    };
}
