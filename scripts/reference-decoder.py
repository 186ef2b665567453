#!/usr/bin/env python3
"""The reference decoder for the emulator's Whisper engine: faster-whisper on the same model files.

Prints, for each clip of the accuracy set (Debian's pocketsphinx-testdata recordings and examples/audio/jfk.wav),
the text faster-whisper hears, its word errors and its time, then the word error rate over the set, so that the
emulator's numbers (`cargo test -p speech-cli --features whisper --test accuracy -- --nocapture`) can be put next to
them. Not part of the tests: it needs Python with faster-whisper, e.g.

    python3 -m venv /tmp/fw && /tmp/fw/bin/pip install faster-whisper==1.2.1
    /tmp/fw/bin/python scripts/reference-decoder.py ~/.cache/speech-emulator/whisper-base

Decoding settings are faster-whisper's defaults (beam 5, temperature fallback, timestamps) with int8 weights on
the CPU, as the emulator runs them.
"""
import re
import sys
import time
import wave
from pathlib import Path

import numpy as np
from faster_whisper import WhisperModel

DATA = Path("/usr/share/pocketsphinx/test/data")
REPO = Path(__file__).resolve().parent.parent
ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen"
).split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def spell(n):
    """0..99 in words; longer numbers digit by digit (enough for this set)."""
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("" if n % 10 == 0 else " " + ONES[n % 10])
    return " ".join(ONES[int(d)] for d in str(n))


def clips():
    for line in (DATA / "librivox/transcription").read_text().splitlines():
        m = re.match(r"<s>(.*)</s> \((.*)\)", line.strip())
        if m:
            yield f"librivox/{m[2]}.wav", m[1]
    for line in (DATA / "cards/cards.transcription").read_text().splitlines():
        m = re.match(r"<s>(.*)</s> \((.*)\)", line.strip())
        if m:
            yield f"cards/{m[2]}.wav", m[1]
    yield "goforward.raw", "go forward ten meters"
    yield str(REPO / "examples/audio/jfk.wav"), (
        "and so my fellow americans ask not what your country can do for you "
        "ask what you can do for your country"
    )


def load(path):
    p = Path(path) if path.startswith("/") else DATA / path
    if p.suffix == ".raw":
        pcm = np.frombuffer(p.read_bytes(), dtype="<i2")
    else:
        with wave.open(str(p)) as w:
            assert w.getframerate() == 16000 and w.getnchannels() == 1 and w.getsampwidth() == 2
            pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return pcm.astype(np.float32) / 32768.0


def words(text):
    text = text.lower().replace("-", " ")
    text = re.sub(r"\d+", lambda m: f" {spell(int(m[0]))} ", text)
    text = text.replace("mr.", "mister")
    return re.sub(r"[^a-z' ]", " ", text).split()


def errors(ref, hyp):
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


def main():
    model_dir = sys.argv[1]
    model = WhisperModel(model_dir, device="cpu", compute_type="int8", cpu_threads=2)
    total_err = total_ref = 0
    total_time = 0.0
    for path, reference in clips():
        audio = load(path)
        start = time.perf_counter()
        segments, _ = model.transcribe(audio, language="en", beam_size=5)
        text = " ".join(s.text.strip() for s in segments)
        took = time.perf_counter() - start
        ref, hyp = words(reference), words(text)
        err = errors(ref, hyp)
        total_err += err
        total_ref += len(ref)
        total_time += took
        print(f"{Path(path).name:50} {len(audio) / 16000:5.1f}s {took:5.2f}s  {err}/{len(ref)}  {text}")
    print(f"WER {100 * total_err / total_ref:.1f}% ({total_err}/{total_ref} words), {total_time:.1f}s in all")


if __name__ == "__main__":
    main()
