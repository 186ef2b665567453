#!/usr/bin/env python3
"""Microsoft's own Speech SDK (azure-cognitiveservices-speech, from PyPI) recognizing a WAV file against a host.

Used by the emulator's tests to check that the emulator serves the official SDK unchanged, as a container would:
SpeechConfig(host="ws://127.0.0.1:PORT", subscription=KEY). Prints one JSON object:

* mode `once` (recognize_once): the result's reason, text and offset, and the cancellation details if any;
* mode `continuous` (start_continuous_recognition): the events in order, each [kind, ...] with kind one of
  hypothesis (text, offset), phrase (text, offset, reason), canceled (reason, error details), session_stopped.

    python speech-sdk-client.py HOST KEY WAV once|continuous [LANGUAGE]
"""
import json
import sys
import threading

import azure.cognitiveservices.speech as speechsdk


def main() -> None:
    host, key, wav, mode = sys.argv[1:5]
    language = sys.argv[5] if len(sys.argv) > 5 else "en-US"
    config = speechsdk.SpeechConfig(host=host, subscription=key)
    config.speech_recognition_language = language
    audio = speechsdk.audio.AudioConfig(filename=wav)
    recognizer = speechsdk.SpeechRecognizer(speech_config=config, audio_config=audio)
    out = {"events": []}
    if mode == "once":
        result = recognizer.recognize_once()
        out["reason"] = str(result.reason)
        out["text"] = result.text
        out["offset"] = result.offset
        if result.reason == speechsdk.ResultReason.Canceled:
            details = result.cancellation_details
            out["canceled"] = [str(details.reason), details.error_details]
    else:
        done = threading.Event()
        events = out["events"]
        recognizer.recognizing.connect(
            lambda e: events.append(["hypothesis", e.result.text, e.result.offset]))
        recognizer.recognized.connect(
            lambda e: events.append(["phrase", e.result.text, e.result.offset, str(e.result.reason)]))
        recognizer.canceled.connect(
            lambda e: events.append(
                ["canceled", str(e.cancellation_details.reason), e.cancellation_details.error_details]))

        def stopped(_):
            events.append(["session_stopped"])
            done.set()

        recognizer.session_stopped.connect(stopped)
        recognizer.start_continuous_recognition()
        if not done.wait(300):
            events.append(["timeout"])
        recognizer.stop_continuous_recognition()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
