#!/usr/bin/env node
// Microsoft's own Speech SDK for JavaScript (microsoft-cognitiveservices-speech-sdk, from npm) synthesizing over
// WebSocket against a host.
//
// Used by the emulator's tests to check that the emulator serves the official SDK's synthesis unchanged:
// SpeechConfig.fromHost(new URL("ws://127.0.0.1:PORT"), KEY), a SpeechSynthesizer with no audio output, with
// wordBoundary, bookmarkReached and visemeReceived handlers. Speaks each TEXT in turn on the same synthesizer (an
// argument that starts with "<speak" is SSML, anything else plain text) and prints one JSON array, as
// scripts/speech-sdk-synthesize.py does: per synthesis its result reason, audio length in bytes, audio duration
// (ms), the error details if it was canceled, and the events in order, each [kind, audio_offset_ticks, ...]:
// word (text, text_offset, word_length, boundary_type, duration_ms), bookmark (text), viseme (viseme_id).
//
//     NODE_PATH=DIR/node_modules node speech-sdk-synthesize.js HOST KEY VOICE TEXT [TEXT ...]
"use strict";

const sdk = require("microsoft-cognitiveservices-speech-sdk");

function speak(synthesizer, text) {
  return new Promise((resolve, reject) => {
    const method = text.startsWith("<speak") ? "speakSsmlAsync" : "speakTextAsync";
    synthesizer[method](text, resolve, reject);
  });
}

async function main() {
  const [host, key, voice, ...texts] = process.argv.slice(2);
  const config = sdk.SpeechConfig.fromHost(new URL(host), key);
  config.speechSynthesisVoiceName = voice;
  config.setProperty(sdk.PropertyId.SpeechServiceResponse_RequestSentenceBoundary, "true");
  const synthesizer = new sdk.SpeechSynthesizer(config, null);
  let events = [];
  synthesizer.wordBoundary = (_, e) =>
    events.push([
      "word",
      e.audioOffset,
      e.text,
      e.textOffset,
      e.wordLength,
      String(e.boundaryType),
      e.duration / 10000,
    ]);
  synthesizer.bookmarkReached = (_, e) => events.push(["bookmark", e.audioOffset, e.text]);
  synthesizer.visemeReceived = (_, e) => events.push(["viseme", e.audioOffset, e.visemeId]);
  const out = [];
  for (const text of texts) {
    events = [];
    const mine = events;
    const result = await speak(synthesizer, text);
    const entry = {
      reason: sdk.ResultReason[result.reason],
      audio_bytes: result.audioData ? result.audioData.byteLength : 0,
      audio_duration_ms: result.audioDuration / 10000,
      events: mine,
    };
    if (result.reason === sdk.ResultReason.Canceled) {
      entry.canceled = result.errorDetails;
    }
    out.push(entry);
  }
  synthesizer.close();
  process.stdout.write(JSON.stringify(out) + "\n");
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`${e && e.stack ? e.stack : e}\n`);
    process.exit(1);
  },
);
