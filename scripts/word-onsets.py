#!/usr/bin/env python3
"""Independent aligners: where two tools that know nothing of the emulator hear each word of a recording start.

Used by the synthesis timing test (crates/speech-ureq/tests/synthesis_timing.rs) to check the word boundaries the
emulator reports against the audio it sends. Both run from the virtualenv scripts/setup.sh makes (pinned):

- `sphinx`: CMU PocketSphinx's forced alignment of the known text (its bundled US English acoustic model,
  10 ms frames). English words are pronounced from its dictionary; other languages' words from espeak-ng's IPA,
  mapped to the nearest US English phones, which is enough to find where each word starts.
- `whisper`: faster-whisper with `word_timestamps=True` on the same Whisper model files the emulator loads
  (cross-attention alignment; known to place words early, in the silence before them).

For each LANGUAGE:WAV:TEXT (a Whisper language code such as `de`, a 16 kHz mono 16-bit WAV, the text spoken),
in order, prints one JSON line: {"sphinx": [[word, start_ms, end_ms], ...], "whisper": [[word, start_ms,
end_ms], ...]}.

    python word-onsets.py MODEL_DIR LANGUAGE:WAV:TEXT [LANGUAGE:WAV:TEXT ...]
"""
import json
import re
import subprocess
import sys
import wave

from faster_whisper import WhisperModel
from pocketsphinx import Decoder

# IPA (as espeak-ng writes it) to the US English model's phones. Longest symbols first.
IPA = [
    ("tʃ", "CH"), ("dʒ", "JH"), ("ts", "T S"), ("pf", "P F"),
    ("a", "AA"), ("ɑ", "AA"), ("ɒ", "AA"), ("ɐ", "AH"), ("ə", "AH"), ("ʌ", "AH"), ("æ", "AE"),
    ("ɛ", "EH"), ("e", "EY"), ("ɜ", "ER"), ("ɚ", "ER"), ("ø", "ER"), ("œ", "ER"),
    ("i", "IY"), ("ɪ", "IH"), ("ɨ", "IH"), ("y", "UW"), ("ʏ", "UH"),
    ("o", "OW"), ("ɔ", "AO"), ("u", "UW"), ("ʊ", "UH"), ("ɯ", "UW"),
    ("p", "P"), ("b", "B"), ("t", "T"), ("d", "D"), ("k", "K"), ("c", "K"), ("g", "G"), ("ɡ", "G"),
    ("f", "F"), ("v", "V"), ("β", "B"), ("θ", "TH"), ("ð", "DH"), ("s", "S"), ("z", "Z"),
    ("ʃ", "SH"), ("ʒ", "ZH"), ("ç", "HH"), ("x", "HH"), ("χ", "HH"), ("h", "HH"), ("ɣ", "G"),
    ("m", "M"), ("n", "N"), ("ŋ", "NG"), ("ɲ", "N Y"), ("l", "L"), ("ʎ", "L Y"),
    ("r", "R"), ("ɾ", "R"), ("ɹ", "R"), ("ʁ", "R"), ("ʀ", "R"), ("j", "Y"), ("w", "W"), ("ɥ", "W"),
    ("ʝ", "Y"), ("ɟ", "JH"),
]


def words_of(text):
    return [w for w in (re.sub(r"[^\w']", "", w).lower() for w in text.split()) if w]


def phones(ipa):
    ipa = re.sub(r"\([a-z-]+\)", "", ipa)
    out, i = [], 0
    while i < len(ipa):
        for symbol, phone in IPA:
            if ipa.startswith(symbol, i):
                out.extend(phone.split())
                i += len(symbol)
                break
        else:
            if ipa[i] == "\u0303":
                out.append("N")  # a nasal vowel (French) sounds as the vowel and a nasal
            i += 1  # stress, length and other marks
    return " ".join(out)


def sphinx(language, path, text):
    with wave.open(path) as w:
        audio = w.readframes(w.getnframes())
    decoder = Decoder(samprate=16000, loglevel="FATAL")
    words = words_of(text)
    names = words
    if language != "en":
        # Words of other languages join the dictionary as w0, w1, ... (a name is plain ASCII).
        names = []
        for k, word in enumerate(words):
            ipa = subprocess.run(["espeak-ng", "-q", "--ipa", "-v", language, word],
                                 capture_output=True, text=True, check=True).stdout.strip()
            decoder.add_word(f"w{k}", phones(ipa) or "AH", False)
            names.append(f"w{k}")
    decoder.set_align_text(" ".join(names))
    decoder.start_utt()
    decoder.process_raw(audio, full_utt=True)
    decoder.end_utt()
    out = []
    for seg in decoder.seg() or []:
        word = re.sub(r"\(\d+\)$", "", seg.word)
        if word in ("<s>", "</s>", "<sil>", "(NULL)") or word.startswith("+"):
            continue
        if re.fullmatch(r"w\d+", word) and language != "en":
            word = words[int(word[1:])]
        out.append([word, seg.start_frame * 10, (seg.end_frame + 1) * 10])
    return out


def whisper(model, language, path):
    segments, _ = model.transcribe(path, language=language, word_timestamps=True,
                                   condition_on_previous_text=False)
    return [[w.word.strip(), round(w.start * 1000), round(w.end * 1000)]
            for segment in segments for w in segment.words or []]


def main() -> None:
    model = WhisperModel(sys.argv[1], device="cpu", compute_type="int8", cpu_threads=2)
    for arg in sys.argv[2:]:
        language, path, text = arg.split(":", 2)
        print(json.dumps({"sphinx": sphinx(language, path, text),
                          "whisper": whisper(model, language, path)}), flush=True)


if __name__ == "__main__":
    main()
