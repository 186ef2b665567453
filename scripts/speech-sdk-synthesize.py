#!/usr/bin/env python3
"""Microsoft's own Speech SDK (azure-cognitiveservices-speech, from PyPI) synthesizing over WebSocket against a host.

Used by the emulator's tests to check that the emulator serves the official SDK's synthesis unchanged:
SpeechConfig(host="ws://127.0.0.1:PORT", subscription=KEY), a SpeechSynthesizer writing no audio device, with
word-boundary, bookmark and viseme handlers. Speaks each TEXT in turn on the same synthesizer (an argument that
starts with "<speak" is SSML, anything else plain text) and prints one JSON object: per synthesis its result
reason, audio length in bytes, audio duration (ms), cancellation details if any, and the events in order, each
[kind, audio_offset_ticks, ...]: word (text, text_offset, word_length, boundary_type, duration_ms), bookmark
(text), viseme (viseme_id).

The SDK raises these events on its own threads and may raise them after the synthesis' result is ready, so
each event is filed under its `result_id`, and the script waits until no event has come for a second before it
prints.

    python speech-sdk-synthesize.py HOST KEY VOICE TEXT [TEXT ...]
"""
import json
import sys
import threading
import time
from collections import defaultdict

import azure.cognitiveservices.speech as speechsdk


def main() -> None:
    host, key, voice = sys.argv[1:4]
    texts = sys.argv[4:]
    config = speechsdk.SpeechConfig(host=host, subscription=key)
    config.speech_synthesis_voice_name = voice
    config.set_property(speechsdk.PropertyId.SpeechServiceResponse_RequestSentenceBoundary, "true")
    synthesizer = speechsdk.SpeechSynthesizer(speech_config=config, audio_config=None)
    events = defaultdict(list)
    lock = threading.Lock()
    last_event = [time.monotonic()]

    def record(result_id, event):
        with lock:
            events[result_id].append(event)
            last_event[0] = time.monotonic()

    synthesizer.synthesis_word_boundary.connect(
        lambda e: record(e.result_id, ["word", e.audio_offset, e.text, e.text_offset, e.word_length,
                                       str(e.boundary_type), e.duration.total_seconds() * 1000]))
    synthesizer.bookmark_reached.connect(lambda e: record(e.result_id, ["bookmark", e.audio_offset, e.text]))
    synthesizer.viseme_received.connect(lambda e: record(e.result_id, ["viseme", e.audio_offset, e.viseme_id]))
    results = []
    for text in texts:
        if text.startswith("<speak"):
            result = synthesizer.speak_ssml_async(text).get()
        else:
            result = synthesizer.speak_text_async(text).get()
        results.append(result)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with lock:
            if time.monotonic() - last_event[0] > 1.0:
                break
        time.sleep(0.1)
    out = []
    for result in results:
        with lock:
            entry = {
                "reason": str(result.reason),
                "audio_bytes": len(result.audio_data),
                "audio_duration_ms": result.audio_duration.total_seconds() * 1000,
                "events": list(events[result.result_id]),
            }
        if result.reason == speechsdk.ResultReason.Canceled:
            details = result.cancellation_details
            entry["canceled"] = [str(details.reason), details.error_details]
        out.append(entry)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
