// Run the program of index.ts with the Automation API, as an inline program:
//
//   node bin/main.js OPERATION [KEY=VALUE ...]
//
// OPERATION is preview, up, refresh or destroy; each KEY=VALUE is set in the stack's config
// first. The stack (QPU_STACK, default dev) is created on first use in the backend you are
// logged in to (or PULUMI_BACKEND_URL); the project's settings and the stack's config are
// kept in the current folder (Pulumi.yaml, Pulumi.<stack>.yaml, written on first use), so
// a value set once stays. The engine's lines are printed as it runs, then a last line
// `outputs: {...}` with the stack's outputs as JSON.
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { program } from "./index";

async function main(args: string[]): Promise<void> {
    const [operation, ...settings] = args;
    const stack = await LocalWorkspace.createOrSelectStack(
        {
            stackName: process.env.QPU_STACK ?? "dev",
            projectName: "qpu-typescript",
            program: async () => program(),
        },
        { workDir: process.cwd() },
    );
    for (const setting of settings) {
        const [key, ...rest] = setting.split("=");
        await stack.setConfig(key, { value: rest.join("=") });
    }
    const onOutput = (line: string) => process.stdout.write(line);
    const operations: Record<string, () => Promise<unknown>> = {
        preview: () => stack.preview({ onOutput }),
        up: () => stack.up({ onOutput }),
        refresh: () => stack.refresh({ onOutput }),
        destroy: () => stack.destroy({ onOutput }),
    };
    const operate = operations[operation];
    if (operate === undefined) {
        throw new Error(`unknown operation '${operation}' (preview, up, refresh or destroy)`);
    }
    await operate();
    const outputs = Object.fromEntries(
        Object.entries(await stack.outputs()).map(([key, output]) => [key, output.value]),
    );
    process.stdout.write(`outputs: ${JSON.stringify(outputs)}\n`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
});
