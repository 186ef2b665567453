#!/usr/bin/env python3
"""Microsoft's own Speech SDK (azure-cognitiveservices-speech, from PyPI) synthesizing over WebSocket against a host.

Used by the emulator's tests to check that the emulator serves the official SDK's synthesis unchanged:
SpeechConfig(host="ws://127.0.0.1:PORT", subscription=KEY), a SpeechSynthesizer writing no audio device, with
word-boundary, bookmark and viseme handlers. Speaks each TEXT in turn on the same synthesizer (an argument that
starts with "<speak" is SSML, anything else plain text) and prints one JSON object: per synthesis its result
reason, audio length in bytes, audio duration (ms), cancellation details if any, and the events in order, each
[kind, audio_offset_ticks, ...]: word (text, text_offset, word_length, boundary_type, duration_ms), bookmark
(text), viseme (viseme_id).

    python speech-sdk-synthesize.py HOST KEY VOICE TEXT [TEXT ...]
"""
import json
import sys

import azure.cognitiveservices.speech as speechsdk


def main() -> None:
    host, key, voice = sys.argv[1:4]
    texts = sys.argv[4:]
    config = speechsdk.SpeechConfig(host=host, subscription=key)
    config.speech_synthesis_voice_name = voice
    config.set_property(speechsdk.PropertyId.SpeechServiceResponse_RequestSentenceBoundary, "true")
    synthesizer = speechsdk.SpeechSynthesizer(speech_config=config, audio_config=None)
    events = []
    synthesizer.synthesis_word_boundary.connect(
        lambda e: events.append(["word", e.audio_offset, e.text, e.text_offset, e.word_length,
                                 str(e.boundary_type), e.duration.total_seconds() * 1000]))
    synthesizer.bookmark_reached.connect(lambda e: events.append(["bookmark", e.audio_offset, e.text]))
    synthesizer.viseme_received.connect(lambda e: events.append(["viseme", e.audio_offset, e.viseme_id]))
    out = []
    for text in texts:
        events.clear()
        if text.startswith("<speak"):
            result = synthesizer.speak_ssml_async(text).get()
        else:
            result = synthesizer.speak_text_async(text).get()
        entry = {
            "reason": str(result.reason),
            "audio_bytes": len(result.audio_data),
            "audio_duration_ms": result.audio_duration.total_seconds() * 1000,
            "events": list(events),
        }
        if result.reason == speechsdk.ResultReason.Canceled:
            details = result.cancellation_details
            entry["canceled"] = [str(details.reason), details.error_details]
        out.append(entry)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
