#!/usr/bin/env python3
"""Microsoft's own fast-transcription client (azure-ai-transcription, from PyPI) against an endpoint.

Used by the emulator's tests to check that the emulator serves the official client unchanged. Prints the
result as one JSON object: duration, combined text, and each phrase's offset, duration, text, speaker,
locale and words.

    python azure-transcription-client.py ENDPOINT KEY AUDIO [LOCALE] [MAX_SPEAKERS]
"""
import json
import sys

from azure.ai.transcription import TranscriptionClient
from azure.ai.transcription.models import (
    TranscriptionContent,
    TranscriptionDiarizationOptions,
    TranscriptionOptions,
)
from azure.core.credentials import AzureKeyCredential


def main() -> None:
    endpoint, key, audio = sys.argv[1:4]
    locale = sys.argv[4] if len(sys.argv) > 4 else "en-US"
    speakers = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    client = TranscriptionClient(endpoint=endpoint, credential=AzureKeyCredential(key))
    options = TranscriptionOptions(locales=[locale])
    if speakers:
        options.diarization_options = TranscriptionDiarizationOptions(max_speakers=speakers)
    with open(audio, "rb") as f:
        result = client.transcribe(TranscriptionContent(definition=options, audio=f))
    print(
        json.dumps(
            {
                "duration_ms": result.duration_milliseconds,
                "text": [p.text for p in result.combined_phrases],
                "phrases": [
                    {
                        "offset_ms": p.offset_milliseconds,
                        "duration_ms": p.duration_milliseconds,
                        "text": p.text,
                        "speaker": p.speaker,
                        "locale": p.locale,
                        "words": [
                            {"text": w.text, "offset_ms": w.offset_milliseconds}
                            for w in (p.words or [])
                        ],
                    }
                    for p in result.phrases
                ],
            }
        )
    )


if __name__ == "__main__":
    main()
