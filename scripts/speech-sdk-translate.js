#!/usr/bin/env node
// Microsoft's own Speech SDK for JavaScript (microsoft-cognitiveservices-speech-sdk, from npm) translating speech
// against a host, as scripts/speech-sdk-translate.py does with the Python SDK:
// SpeechTranslationConfig.fromHost(new URL("ws://127.0.0.1:PORT"), KEY), the spoken LANGUAGE, the TARGETS
// (comma-separated), audio from WAV files. Prints one JSON object: "once" (recognizeOnceAsync on ONCE_WAV) and
// "continuous" (every `recognized` event of continuous recognition of CONTINUOUS_WAV, until the session stops),
// each result as {reason, text, translations, offset, error}.
//
//     NODE_PATH=DIR/node_modules node speech-sdk-translate.js HOST KEY LANGUAGE TARGETS ONCE_WAV CONTINUOUS_WAV
"use strict";

const fs = require("fs");
const sdk = require("microsoft-cognitiveservices-speech-sdk");

function recognizer(host, key, language, targets, wav) {
  const config = sdk.SpeechTranslationConfig.fromHost(new URL(host), key);
  config.speechRecognitionLanguage = language;
  for (const t of targets.split(",")) {
    config.addTargetLanguage(t);
  }
  const audio = sdk.AudioConfig.fromWavFileInput(fs.readFileSync(wav));
  return new sdk.TranslationRecognizer(config, audio);
}

function entry(r) {
  const translations = {};
  if (r.translations) {
    for (const l of r.translations.languages) {
      translations[l] = r.translations.get(l);
    }
  }
  return {
    reason: sdk.ResultReason[r.reason],
    text: r.text,
    translations,
    offset: r.offset,
    error: r.errorDetails || null,
  };
}

async function main() {
  const [host, key, language, targets, onceWav, continuousWav] = process.argv.slice(2);
  const one = recognizer(host, key, language, targets, onceWav);
  const once = await new Promise((resolve, reject) => one.recognizeOnceAsync(resolve, reject));
  one.close();

  const rec = recognizer(host, key, language, targets, continuousWav);
  const results = [];
  await new Promise((resolve) => {
    rec.recognized = (_, e) => results.push(entry(e.result));
    rec.canceled = () => resolve();
    rec.sessionStopped = () => resolve();
    rec.startContinuousRecognitionAsync();
    setTimeout(resolve, 120000);
  });
  await new Promise((resolve) => rec.stopContinuousRecognitionAsync(resolve, resolve));
  rec.close();
  process.stdout.write(JSON.stringify({ once: entry(once), continuous: results }) + "\n");
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`${e && e.stack ? e.stack : e}\n`);
    process.exit(1);
  },
);
