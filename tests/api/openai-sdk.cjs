// The official OpenAI SDK for JavaScript against `spool serve`, as a user's script would use it.
// Run by tst_apiopenaisdk:  node openai-sdk.cjs <base url> <token file> <test-tools dir>
// Prints one JSON line per step ({"step": ..., ...}); the Qt test checks them. Steps that must
// wait for the test (an approval) print a "waiting" line first.
'use strict';
const fs = require('fs');
const path = require('path');

const [baseURL, tokenFile, toolsDir] = process.argv.slice(2);
const OpenAI = require(path.join(toolsDir, 'node_modules', 'openai'));
const apiKey = fs.readFileSync(tokenFile, 'utf8').trim();
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 120000 });

function print(step, fields) {
    process.stdout.write(JSON.stringify({ step, ...fields }) + '\n');
}

function describe(e) {
    return {
        name: e && e.constructor ? e.constructor.name : typeof e,
        status: e && e.status,
        code: e && e.code,
        param: e && e.param,
        type: e && e.type,
        message: e && e.message,
        isApiError: e instanceof OpenAI.APIError,
    };
}

async function step(name, fn) {
    try {
        print(name, { ok: true, ...(await fn()) });
    } catch (e) {
        print(name, { ok: false, error: describe(e) });
    }
}

async function main() {
    await step('models', async () => {
        const page = await client.models.list();
        return { ids: page.data.map((m) => m.id) };
    });

    await step('completion', async () => {
        const { data, response } = await client.chat.completions
            .create({ model: 'default', messages: [{ role: 'user', content: 'hello from the SDK' }] })
            .withResponse();
        return {
            content: data.choices[0].message.content,
            finish: data.choices[0].finish_reason,
            usage: data.usage,
            id: data.id,
            run: response.headers.get('x-spool-run-id'),
        };
    });

    await step('stream', async () => {
        const { data: stream, response } = await client.chat.completions
            .create({
                model: 'default',
                messages: [{ role: 'user', content: '[[words 30]]' }],
                stream: true,
                stream_options: { include_usage: true },
            })
            .withResponse();
        let content = '';
        let chunks = 0;
        let finish = null;
        let usage = null;
        for await (const chunk of stream) {
            ++chunks;
            if (chunk.usage) usage = chunk.usage;
            const choice = chunk.choices[0];
            if (!choice) continue;
            content += choice.delta.content || '';
            if (choice.finish_reason) finish = choice.finish_reason;
        }
        return { content, chunks, finish, usage, run: response.headers.get('x-spool-run-id') };
    });

    await step('aborted', async () => {
        const controller = new AbortController();
        const { data: stream, response } = await client.chat.completions
            .create(
                { model: 'default', messages: [{ role: 'user', content: '[[words 5000]]' }], stream: true },
                { signal: controller.signal },
            )
            .withResponse();
        const run = response.headers.get('x-spool-run-id');
        let content = '';
        let error = null;
        try {
            for await (const chunk of stream) {
                content += (chunk.choices[0] && chunk.choices[0].delta.content) || '';
                if (content.length > 0) controller.abort();
            }
        } catch (e) {
            error = describe(e);
        }
        return { run, received: content.length, error };
    });

    await step('approval', async () => {
        print('approval-waiting', {});
        const stream = await client.chat.completions.create({
            model: 'default',
            messages: [{ role: 'user', content: '[[tool echo {"text": "approved from another terminal"}]]' }],
            stream: true,
        });
        let content = '';
        for await (const chunk of stream) content += (chunk.choices[0] && chunk.choices[0].delta.content) || '';
        return { content };
    });

    await step('conversation', async () => {
        const first = [{ role: 'user', content: 'my name is Ada' }];
        const a = await client.chat.completions.create({ model: 'default', messages: first }).withResponse();
        const second = [...first, a.data.choices[0].message, { role: 'user', content: 'what is my name?' }];
        const b = await client.chat.completions.create({ model: 'default', messages: second }).withResponse();
        return {
            sessionA: a.response.headers.get('x-spool-session-id'),
            sessionB: b.response.headers.get('x-spool-session-id'),
            reply: b.data.choices[0].message.content,
        };
    });

    const wrongKey = new OpenAI({ baseURL, apiKey: 'spool-wrong', maxRetries: 0 });
    await step('error-auth', async () => {
        await wrongKey.models.list();
        return {};
    });
    await step('error-model', async () => {
        await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
        return {};
    });
    await step('error-request', async () => {
        await client.chat.completions.create({ model: 'default', messages: [] });
        return {};
    });
    await step('error-in-stream', async () => {
        const stream = await client.chat.completions.create({
            model: 'default',
            messages: [{ role: 'user', content: '[[fail rate_limit]]' }],
            stream: true,
        });
        for await (const chunk of stream) void chunk;
        return {};
    });
    print('done', {});
}

main().catch((e) => {
    print('crashed', { error: describe(e) });
    process.exitCode = 1;
});
