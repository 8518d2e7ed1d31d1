/* global window, requestAnimationFrame, URLSearchParams, location -- runs in the harness page */
// Drives the panel with the fixtures: `?demo=1` plays the demo session and a
// streamed prompt on load; the screenshot script calls window.__demo directly.
import {
  chunks,
  demoInit,
  largeInit,
  olderRows,
  record,
  redTeamInit,
  RED_TEAM_SUMMARY,
  STREAM_ANSWERS,
  STREAM_PROMPT,
  xssInit,
} from './fixtures.mjs';

const send = (message) => window.__harness.send(message);
const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Streams STREAM_ANSWERS into the first two demo columns; the third (a
 * missing endpoint) fails at once. Stops after `fraction` of the text when
 * `finish` is false, so a screenshot can catch it mid-stream.
 */
async function playStream({ fraction = 1, finish = true, chunksPerFrame = 3, queueNext = false } = {}) {
  const promptId = 'demo-stream';
  const chatIds = ['openai-gpt-4o-mini', 'azure-gpt-41', 'local-llama'];
  send({ type: 'promptStarted', promptId, prompt: STREAM_PROMPT, chatIds });
  for (const chatId of chatIds) send({ type: 'chatStarted', promptId, chatId });
  send({
    type: 'record',
    promptId,
    chatId: 'local-llama',
    record: record(3, {
      promptId,
      prompt: STREAM_PROMPT,
      error: 'Endpoint "local-llama" is not configured any more.',
      duration: '0.001 secs',
    }),
  });
  if (queueNext) {
    // A second prompt: the slower endpoint is still busy with the first, so it waits there.
    const next = 'demo-next';
    send({ type: 'promptStarted', promptId: next, prompt: 'And how would you test for it?', chatIds: ['azure-gpt-41'] });
    send({ type: 'chatQueued', promptId: next, chatId: 'azure-gpt-41' });
  }
  const streams = Object.entries(STREAM_ANSWERS).map(([chatId, text], i) => ({ chatId, parts: chunks(text), speed: i === 0 ? 1 : 0.55 }));
  const longest = Math.max(...streams.map((s) => s.parts.length));
  for (let step = 0; step < longest * fraction; step += chunksPerFrame) {
    for (const s of streams) {
      const from = Math.floor(step * s.speed);
      const to = Math.floor((step + chunksPerFrame) * s.speed);
      for (const text of s.parts.slice(from, to)) send({ type: 'delta', promptId, chatId: s.chatId, text });
    }
    await frame();
  }
  if (!finish) return;
  await sleep(50);
  for (const [chatId, text] of Object.entries(STREAM_ANSWERS)) {
    send({
      type: 'record',
      promptId,
      chatId,
      record: record(3, {
        promptId,
        prompt: STREAM_PROMPT,
        answer: text,
        duration: chatId === 'azure-gpt-41' ? '3.920 secs' : '2.511 secs',
        usage: chatId === 'azure-gpt-41' ? null : { prompt_tokens: 44, completion_tokens: 71, total_tokens: 115 },
      }),
    });
  }
  send({ type: 'promptFinished', promptId });
}

window.__demo = { send, demoInit, largeInit, olderRows, xssInit, playStream, record, redTeamInit, RED_TEAM_SUMMARY };

if (new URLSearchParams(location.search).get('demo') === '1') {
  send(demoInit());
  playStream();
}
