#!/usr/bin/env python3
"""Microsoft's own Speech SDK (azure-cognitiveservices-speech, from PyPI) translating speech against a host.

Used by the emulator's tests to check that the emulator serves the official SDK's TranslationRecognizer unchanged:
SpeechTranslationConfig(host="ws://127.0.0.1:PORT", subscription=KEY), the spoken LANGUAGE, the TARGETS
(comma-separated), audio from a WAV file. Prints one JSON object: "once" (recognize_once on ONCE_WAV) and
"continuous" (every `recognized` event of continuous recognition of CONTINUOUS_WAV, until the session stops),
each result as {reason, text, translations, offset, error}.

    python speech-sdk-translate.py HOST KEY LANGUAGE TARGETS ONCE_WAV CONTINUOUS_WAV
"""
import json
import sys
import threading

import azure.cognitiveservices.speech as speechsdk


def config(host, key, language, targets):
    cfg = speechsdk.translation.SpeechTranslationConfig(host=host, subscription=key)
    cfg.speech_recognition_language = language
    for target in targets.split(","):
        cfg.add_target_language(target)
    return cfg


def entry(r):
    error = None
    if r.reason == speechsdk.ResultReason.Canceled:
        error = r.cancellation_details.error_details
    return {"reason": str(r.reason), "text": r.text, "translations": dict(r.translations),
            "offset": r.offset, "error": error}


def main() -> None:
    host, key, language, targets, once_wav, continuous_wav = sys.argv[1:7]
    rec = speechsdk.translation.TranslationRecognizer(
        translation_config=config(host, key, language, targets),
        audio_config=speechsdk.audio.AudioConfig(filename=once_wav))
    once = entry(rec.recognize_once())

    rec = speechsdk.translation.TranslationRecognizer(
        translation_config=config(host, key, language, targets),
        audio_config=speechsdk.audio.AudioConfig(filename=continuous_wav))
    results, done = [], threading.Event()
    rec.recognized.connect(lambda e: results.append(entry(e.result)))
    rec.canceled.connect(lambda e: done.set())
    rec.session_stopped.connect(lambda e: done.set())
    rec.start_continuous_recognition()
    done.wait(120)
    rec.stop_continuous_recognition()
    print(json.dumps({"once": once, "continuous": results}))


if __name__ == "__main__":
    main()
