#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/corpus/<target>/ (idempotent; file names are content hashes).

Seeds are the protocol's real shapes (from ../shared/reference/api-spec.md) plus broken variants, so that both
libFuzzer and the stable corpus replay (crates/speech-proto/tests/fuzz_corpus.rs) start from meaningful input.
"""
import base64, hashlib, json, os, struct, sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fuzz", "corpus")


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def chunk(tag, payload):
    pad = b"\0" if len(payload) % 2 else b""
    return tag + struct.pack("<I", len(payload)) + payload + pad


def fmt_pcm(ch, rate, bits, tag=1):
    align = ch * bits // 8
    return chunk(b"fmt ", struct.pack("<HHIIHH", tag, ch, rate, rate * align, align, bits))


def fmt_ext(ch, rate, bits, sub=1):
    align = ch * bits // 8
    guid = struct.pack("<I", sub) + bytes.fromhex("000000001000800000aa00389b71")
    body = struct.pack("<HHIIHH", 0xFFFE, ch, rate, rate * align, align, bits) + struct.pack("<HHI", 22, bits, 3) + guid
    return chunk(b"fmt ", body)


def riff(*chunks, size=None):
    body = b"WAVE" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body) if size is None else size) + body


def wav_seeds():
    samples = struct.pack("<8h", 0, 1000, -1000, 32767, -32768, 5, -5, 0)
    put("wav_header", riff(fmt_pcm(1, 16000, 16), chunk(b"data", samples)))
    put("wav_header", riff(fmt_pcm(2, 44100, 16), chunk(b"data", samples)))
    put("wav_header", riff(fmt_pcm(1, 8000, 8, tag=6), chunk(b"data", b"\xd5" * 8)))
    put("wav_header", riff(fmt_pcm(1, 8000, 8, tag=7), chunk(b"data", b"\xff" * 8)))
    put("wav_header", riff(fmt_ext(1, 16000, 16), chunk(b"data", samples)))
    put("wav_header", riff(fmt_ext(2, 48000, 32, sub=3), chunk(b"data", samples)))
    put("wav_header", riff(chunk(b"LIST", b"INFOISFT\x05\0\0\0sox\0\0"), fmt_pcm(1, 16000, 16), chunk(b"data", samples)))
    put("wav_header", riff(fmt_pcm(1, 16000, 16), chunk(b"fact", b"\x08\0\0\0"), chunk(b"odd ", b"abc"), chunk(b"data", samples)))
    # streaming sizes: 0 and 0xFFFFFFFF for the RIFF and data sizes
    put("wav_header", b"RIFF\0\0\0\0WAVE" + fmt_pcm(1, 16000, 16) + b"data\0\0\0\0" + samples)
    put("wav_header", b"RIFF\xff\xff\xff\xffWAVE" + fmt_pcm(1, 16000, 16) + b"data\xff\xff\xff\xff" + samples)
    put("wav_header", b"RIFF\x24\xf0\xff\x7fWAVE" + fmt_pcm(1, 22050, 16) + b"data\x00\xf0\xff\x7f" + samples)
    put("wav_header", riff(fmt_pcm(1, 16000, 16))[:30])  # truncated fmt
    put("wav_header", riff(chunk(b"data", samples), fmt_pcm(1, 16000, 16)))  # data before fmt
    put("wav_header", b"OggS\0\x02" + b"\0" * 20 + b"OpusHead")
    put("wav_header", b"ID3\x04\0\0\0\0\0\0" + b"\xff\xfb\x90\x64" * 4)
    put("wav_header", b"fLaC\0\0\0\x22")
    put("wav_header", b'{"audio":"UklGRiQAAABXQVZFZm10IBAAAAABAAEAgD4AAAB9AAACABAAZGF0YQAAAAA="}')
    put("wav_header", b"UklGRiQAAABXQVZFZm10IBAAAAABAAEAgD4AAAB9AAACABAAZGF0YQAAAAA=")
    put("wav_header", b"RIFX\0\0\0\x24WAVE")
    put("wav_header", b"")


REC = [
    {"RecognitionStatus": "Success", "DisplayText": "My voice is my passport, verify me.", "Offset": 6600000, "Duration": 32100000},
    {"RecognitionStatus": "Success", "DisplayText": "Conversation.", "Offset": 4500000, "Duration": 10600000},
    {"RecognitionStatus": "InitialSilenceTimeout", "Offset": 20000000, "Duration": 0},
    {"RecognitionStatus": "InitialSilenceTimeout", "Offset": 50000000, "Duration": 0},
    {"RecognitionStatus": "Success", "Offset": 22500000, "Duration": 21000000, "NBest": [
        {"Confidence": 0.941552162, "Lexical": "find a funny movie to watch", "ITN": "find a funny movie to watch",
         "MaskedITN": "find a funny movie to watch", "Display": "Find a funny movie to watch."}]},
    {"RecognitionStatus": "Success", "Offset": "1236645672289", "Duration": "1236645672289", "NBest": [
        {"Confidence": "0.87", "Lexical": "remind me to buy five pencils", "ITN": "remind me to buy 5 pencils",
         "MaskedITN": "remind me to buy 5 pencils", "Display": "Remind me to buy 5 pencils."},
        {"Confidence": 0.905, "Lexical": "a", "ITN": "a", "MaskedITN": "a", "Display": "A."},
        {"Confidence": 0.925, "Lexical": "b", "ITN": "b", "MaskedITN": "b", "Display": "B."}]},
    {"RecognitionStatus": "Success", "Offset": 5100000, "Duration": 6800000, "DisplayText": "Ship.", "SNR": 38.2, "NBest": [
        {"Confidence": 0.959, "Lexical": "ship", "ITN": "ship", "MaskedITN": "ship", "Display": "Ship.",
         "AccuracyScore": 99.0, "FluencyScore": 100.0, "CompletenessScore": 100.0, "PronScore": 99.4,
         "Words": [{"Word": "ship", "Offset": 5100000, "Duration": 6800000, "Confidence": 0.0, "AccuracyScore": 99.0,
                    "ErrorType": "None", "Syllables": [{"Syllable": "ship", "Grapheme": "ship", "Offset": 5100000,
                    "Duration": 6800000, "AccuracyScore": 99.0}], "Phonemes": [
                    {"Phoneme": "\u0283", "Offset": 5100000, "Duration": 2000000, "AccuracyScore": 100.0},
                    {"Phoneme": "\u026a", "Offset": 7100000, "Duration": 2000000, "AccuracyScore": 98.0},
                    {"Phoneme": "p", "Offset": 9100000, "Duration": 2800000, "AccuracyScore": 99.0}]}]}]},
    {"RecognitionStatus": "NoMatch", "Offset": 0, "Duration": 0},
    {"RecognitionStatus": "BabbleTimeout", "Offset": 0, "Duration": 0},
    {"RecognitionStatus": "EndOfDictation", "Offset": 1, "Duration": 2},
    {},
]


def rec_seeds():
    for r in REC:
        put("recognition_json", json.dumps(r))
    put("recognition_json", '{"RecognitionStatus":"Success","Offset":-5,"Duration":1e400}')
    put("recognition_json", '{"RecognitionStatus":"Success","NBest":"not a list"}')
    put("recognition_json", '{"RecognitionStatus":')
    put("recognition_json", "[]")
    put("recognition_json", "")


VOICES = [
    {"Name": "Microsoft Server Speech Text to Speech Voice (en-US, JennyNeural)", "DisplayName": "Jenny", "LocalName": "Jenny",
     "ShortName": "en-US-JennyNeural", "Gender": "Female", "Locale": "en-US", "LocaleName": "English (United States)",
     "StyleList": ["assistant", "chat", "customerservice", "newscast", "angry", "cheerful", "sad"], "SampleRateHertz": "24000",
     "VoiceType": "Neural", "Status": "GA", "WordsPerMinute": "152"},
    {"Name": "Microsoft Server Speech Text to Speech Voice (zh-CN, YunxiNeural)", "DisplayName": "Yunxi", "LocalName": "\u4e91\u5e0c",
     "ShortName": "zh-CN-YunxiNeural", "Gender": "Male", "Locale": "zh-CN", "LocaleName": "Chinese (Mandarin, Simplified)",
     "SampleRateHertz": "24000", "VoiceType": "Neural", "Status": "GA", "WordsPerMinute": 293,
     "RolePlayList": ["Narrator", "YoungAdultMale", "Boy"], "ExtendedPropertyMap": {"IsHighQuality48K": "True"},
     "VoiceTag": {"TailoredScenarios": ["Audiobook"], "VoicePersonalities": ["Warm"]}},
    {"Name": "Microsoft Server Speech Text to Speech Voice (en-US, ZiraRUS)", "ShortName": "en-US-ZiraRUS", "Gender": "Female",
     "Locale": "en-US", "SampleRateHertz": "16000", "VoiceType": "Standard"},
    {"Name": "x", "ShortName": "y", "Locale": "z", "Gender": "Neutral", "VoiceType": "NeuralHD", "Status": "Preview",
     "SecondaryLocaleList": ["de-DE", "fr-FR"]},
]


def voices_seeds():
    put("voices_json", json.dumps(VOICES))
    for v in VOICES:
        put("voices_json", json.dumps([v]))
    put("voices_json", "[]")
    put("voices_json", '[{"Name":1}]')
    put("voices_json", '[{"ShortName":"a","SampleRateHertz":"fast"}]')
    put("voices_json", '{"error":"not an array"}')
    put("voices_json", "[" * 64)
    put("voices_json", "")


ERRORS = [
    (401, 0, '{"error":{"code":"401","message":"Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."}}'),
    (400, 1, '{"Message": "Invalid CID or language"}'),
    (400, 1, '{"Message":"Unsupported audio format"}'),
    (403, 0, '{"statusCode":403,"message":"Out of call volume quota. Quota will be replenished in 00:10:00."}'),
    (400, 2, ""),
    (500, 2, "Node [speak] with type [RootSpeak] should not contain node [prosody] with type [Prosody]"),
    (411, 0, "<html><head><title>Length Required</title></head><body><h1>Length Required</h1></body></html>"),
    (429, 2, ""),
    (401, 0, '{"error":{"code":401,"message":null}}'),
    (503, 3, "\xff\xfe not utf-8"),
    (408, 1, '{"Message":'),
]


def error_seeds():
    # Layout read by speech_proto::__fuzz::error_body: byte 0 picks the service, bytes 1..3 the status
    # (big-endian), the rest is the body.
    for status, service, body in ERRORS:
        put("error_body", bytes([service]) + struct.pack(">H", status) + body.encode("latin-1" if "\xff" in body else "utf-8"))


def b64u(obj):
    raw = json.dumps(obj, separators=(",", ":")).encode() if not isinstance(obj, bytes) else obj
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def token_seeds():
    hdr = {"alg": "HS256", "typ": "JWT"}
    put("token_response", ".".join([b64u(hdr), b64u({"region": "westus", "aud": "urn:ms.speechservices.westus", "exp": 1893456000}), b64u(b"sig")]))
    put("token_response", ".".join([b64u({"alg": "ES256", "kid": "key1", "typ": "JWT"}), b64u({"region": "global", "exp": 1735689600, "iss": "urn:ms.cognitiveservices"}), b64u(b"s")]) + "\r\n")
    put("token_response", ".".join([b64u(hdr), b64u({"scope": "https://speech.platform.bing.com", "aud": "urn:ms.speech", "exp": 1493429169}), b64u(b"x")]))
    put("token_response", ".".join([b64u(hdr), b64u({"region": "westus"}), b64u(b"no-exp")]))
    put("token_response", ".".join([b64u(hdr), b64u({"exp": "soon"}), b64u(b"string-exp")]))
    put("token_response", ".".join([b64u(hdr), "not-base64!", "sig"]))
    put("token_response", "a.b")
    put("token_response", "")
    put("token_response", "   \n  ")
    put("token_response", ".".join([b64u(hdr), b64u({"exp": 1e300}), ""]))
    put("token_response", '{"error":{"code":"401","message":"Access denied"}}')


def proxy_answer_seeds():
    # speech_proto::__fuzz::proxy_answer: a proxy's answer to CONNECT (and what may follow it).
    for answer in [
        "HTTP/1.1 200 Connection established\r\n\r\n",
        "HTTP/1.0 200 OK\r\nProxy-Agent: squid/6.1\r\n\r\n",
        "HTTP/1.1 200 OK\r\n\r\n\x16\x03\x01",
        "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"corp\"\r\n\r\n",
        "HTTP/1.1 403 Forbidden\r\nContent-Length: 12\r\n\r\nAccess denied",
        "HTTP/1.1 502 Bad Gateway\r\n\r\n",
        "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\n\r\n",
        "HTTP/1.1 200 Connection established\n\n",
        "HTTP/1.1 200\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX: " + "a" * 300,
        "SSH-2.0-OpenSSH_9.2\r\n",
        "HTTP/1.1 2000 Odd\r\n\r\n",
        "HTTP/1.1 200 OK\r\n" + "X: y\r\n" * 70 + "\r\n",
    ]:
        put("proxy_answer", answer)


def response_head_seeds():
    # Byte 0 is the control byte of speech_proto::__fuzz::response_head: bit 0 = small caps, the rest = read size.
    def put_head(ctl, head):
        put("response_head", bytes([ctl]) + (head.encode() if isinstance(head, str) else head))
    put_head(0x0e, "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nX-RequestId: 6f2b\r\n"
                   "Content-Length: 120\r\n\r\n{\"RecognitionStatus\":\"Success\"}")
    put_head(0x02, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
    put_head(0x10, "HTTP/1.1 401 Access Denied\r\nWWW-Authenticate: Bearer\r\nContent-Length: 0\r\n\r\n")
    put_head(0x20, "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nConnection: close\r\n\r\n")
    put_head(0x04, "HTTP/1.0 200 OK\nServer: old\nConnection: keep-alive\n\n")
    put_head(0x06, "\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n")
    put_head(0x08, "HTTP/1.1 200\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n")
    put_head(0x0a, "HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n")
    put_head(0x0c, "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    put_head(0x12, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
    put_head(0x01, "HTTP/1.1 200 OK\r\n" + "".join("h%d: v\r\n" % i for i in range(6)) + "\r\n")
    put_head(0x03, "HTTP/1.1 200 OK\r\nX-Long: " + "y" * 300 + "\r\n\r\n")
    put_head(0x14, "HTTP/1.1 099 Low\r\n\r\n")
    put_head(0x16, "HTTP/2.0 200 OK\r\n\r\n")
    put_head(0x18, "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n")
    put_head(0x1a, b"HTTP/1.1 200 OK\r\nX-Bin: \x80\xff\r\n\r\n")
    put_head(0x1c, "HTTP/1.1 200 OK\r\nX-A: 1\r\n")
    put_head(0x00, "")


def chunked_decoder_seeds():
    # Bytes 0-2 are the control bytes of speech_proto::__fuzz::chunked_decoder: caps, read size, output size.
    def put_body(ctl, body):
        put("chunked_decoder", bytes(ctl) + (body.encode() if isinstance(body, str) else body))
    put_body([0, 64, 64], "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
    put_body([0, 1, 1], "5;name=value\r\nhello\r\n0;last\r\n\r\n")
    put_body([0, 3, 7], "A\r\n0123456789\r\n0\r\nExpires: never\r\nX-Checksum: abc\r\n\r\nNEXT")
    put_body([0, 5, 2], '4;q="x;y"\r\nRIFF\r\n0\r\n\r\n')
    put_body([0, 200, 3], "1000\r\n" + "a" * 4096 + "\r\n0\r\n\r\n")
    put_body([1, 2, 2], "1;" + "e" * 20 + "\r\nx\r\n0\r\n\r\n")
    put_body([1, 4, 4], "0\r\n" + "".join("t%d: v\r\n" % i for i in range(5)) + "\r\n")
    put_body([1, 9, 9], "0\r\nx: " + "v" * 80 + "\r\n\r\n")
    put_body([0, 16, 16], "fffffffffffffffff\r\n")
    put_body([0, 2, 2], "5\r\nhelloXX0\r\n\r\n")
    put_body([0, 1, 1], "5\nhello\n0\n\n")
    put_body([0, 8, 8], "\r\n\r\n")
    put_body([0, 8, 8], "0\r\nbad line\r\n\r\n")
    put_body([0, 4, 4], "3\r\nab")
    put_body([0, 1, 250], "")


def stream_seeds():
    # speech_proto::__fuzz::stream_frame: byte 0 bit 0 = binary; speech_proto::__fuzz::stream_service_json: byte 0
    # picks the path (turn.start, startDetected, hypothesis, fragment, phrase, endDetected, turn.end, other).
    rid = "9C1F0000000000000000000000000000"
    def text(headers, body=""):
        return b"\0" + ("".join("%s\r\n" % h for h in headers) + "\r\n" + body).encode()
    def binary(headers, payload=b"", length=None):
        block = "".join("%s\r\n" % h for h in headers).encode()
        n = len(block) if length is None else length
        return b"\1" + struct.pack(">H", n) + block + payload
    put("stream_frame", text(["X-RequestId:" + rid, "Content-Type:application/json; charset=utf-8", "Path:turn.start"],
                             '{"context":{"serviceTag":"7B33613B91714B32817815DC89633AFA"}}'))
    put("stream_frame", text(["X-RequestId:" + rid, "Path:speech.hypothesis"], '{"Text":"pre\u00e7o","Offset":0,"Duration":23600000}'))
    put("stream_frame", text(["Path: speech.phrase", "X-RequestId: " + rid],
                             '{"RecognitionStatus":"Success","DisplayText":"Hi.","Offset":"100","Duration":"200"}'))
    put("stream_frame", text(["Path:turn.end", "X-RequestId:" + rid], "{}"))
    put("stream_frame", text(["Path: speech.config", "X-RequestId: " + rid, "X-Timestamp: 2026-07-13T10:00:00.000Z",
                              "Content-Type: application/json"], '{"context":{}}\r\n\r\n{"a":1}'))
    put("stream_frame", b"\0Path: x\r\nno separator")
    put("stream_frame", b"\0Path: turn.start\r\n\xff\xfe\r\n\r\n")
    put("stream_frame", b"\0" + ("Path: x\r\nX-Pad: " + "a" * 9000 + "\r\n\r\n").encode())
    put("stream_frame", b"\0X-RequestId: 1\r\n\r\n{}")
    put("stream_frame", binary(["Path: audio", "X-RequestId: " + rid, "X-Timestamp: 2026-07-13T10:00:00.000Z",
                                "Content-Type: audio/x-wav"], b"RIFF\0\0\0\0WAVEfmt "))
    put("stream_frame", binary(["Path: audio", "X-RequestId: " + rid], b""))
    put("stream_frame", binary(["Path: audio"], b"\0\1", length=300))
    put("stream_frame", b"\1\x00")
    put("stream_frame", b"\1\xff\xff")
    put("stream_frame", binary(["Path: audio", "X-Bin: \u00e9"], b""))

    def svc(i, body):
        put("stream_service_json", bytes([i]) + body.encode())
    svc(0, '{"context":{"serviceTag":"7B33"}}')
    svc(0, "")
    svc(1, '{"Offset":7300000}')
    svc(1, '{"Offset":"soon"}')
    svc(2, '{"Text":"my voice is","Offset":7300000,"Duration":9600000,"Id":"x","PrimaryLanguage":{"Language":"en-US"}}')
    svc(3, '{"Text":"a"}')
    svc(4, '{"RecognitionStatus":"Success","DisplayText":"My voice is my passport.","Offset":7300000,"Duration":32100000}')
    svc(4, '{"Id":"c5b1","RecognitionStatus":"Success","Offset":16600000,"Duration":130700000,"DisplayText":"Yes.",'
           '"SNR":7.1,"NBest":[{"Confidence":0.75,"Lexical":"yes","ITN":"yes","MaskedITN":"yes","Display":"Yes.",'
           '"Words":[{"Word":"yes","Offset":16600000,"Duration":5700000}]}]}')
    svc(4, '{"RecognitionStatus":"InitialSilenceTimeout","Offset":0,"Duration":150000000}')
    svc(4, '{"RecognitionStatus":"TooManyRequests"}')
    svc(4, '{"RecognitionStatus":3,"Offset":-1}')
    svc(5, "")
    svc(5, '{"Offset":0}')
    svc(6, "{}")
    svc(7, "not json")


def translation_seeds():
    # speech_proto::__fuzz::translation_json: byte 0 % 6 picks the path (translation.hypothesis, translation.phrase,
    # translation.response, audio.start, audio.end, translation.synthesis.end); bit 7 adds an X-StreamId header.
    def t(i, body):
        put("translation_json", bytes([i]) + body.encode())
    t(0, '{"Duration":11900000,"Offset":2731600000,"Text":"what was","Translation":{"TranslationStatus":"Success",'
         '"Translations":[{"Language":"de","Text":"Was war"},{"Language":"zh-Hans","Text":"\u5982\u4f55"}]}}')
    t(0, '{"Text":"a","Translation":{}}')
    t(1, '{"Duration":11800000,"Offset":383100000,"RecognitionStatus":"Success","Text":"Mining tasks.",'
         '"Translation":{"TranslationStatus":"Success","Translations":[{"Language":"hi","Text":"x"}]}}')
    t(1, '{"Duration":22200000,"Offset":200000,"RecognitionStatus":"Success","Text":"Welcome.",'
         '"Translation":{"FailureReason":"Translation call failed: 400 (Bad Request).","TranslationStatus":"Error"}}')
    t(1, '{"RecognitionStatus":"Success","Text":"Hi.","TranslationStatus":"Success",'
         '"Translations":[{"Language":"fr","DisplayText":"Salut."}]}')
    t(1, '{"RecognitionStatus":"NoMatch","Offset":0}')
    t(2, '{"Extensions":["TranslationSourceRef","SpeechPhrase"],"TranslationSourceRef":{"Id":"1","ReferenceType":'
         '"SpeechPhrase"},"SpeechPhrase":{"Id":"7841","RecognitionStatus":"Success","DisplayText":"Umbrella.",'
         '"Offset":17200000,"Duration":3200000,"PrimaryLanguage":{"Language":"en-US","Confidence":"Low"},"Channel":0},'
         '"TranslationStatus":"Success","Translations":[{"Id":"a","DisplayText":"Paraguas.","Language":"es"},'
         '{"Id":"b","DisplayText":"Parapluie.","Language":"fr"}]}')
    t(2, '{"SpeechHypothesis":{"Text":"hello","Offset":7300000,"Duration":4000000},"TranslationStatus":"Success",'
         '"Translations":[{"Language":"de","DisplayText":"hallo"}]}')
    t(2, '{"SpeechPhrase":{"RecognitionStatus":"Success","NBest":[{"Display":"Hi there."}]},"Translations":null}')
    t(2, '{"SpeechPhrase":[]}')
    t(2, '{"Extensions":[]}')
    t(0x83, '{"TranslationLanguage":"de"}')
    t(0x84, '{"Status":"Success"}')
    t(0x84, '{"Status":"Error","FailureReason":"Synthesis service is temporarily not available."}')
    t(5, '{"SynthesisStatus":"Success"}')
    t(5, '{}')
    t(5, '{"SynthesisStatus":1}')


if __name__ == "__main__":
    wav_seeds(); rec_seeds(); voices_seeds(); error_seeds(); token_seeds()
    response_head_seeds(); chunked_decoder_seeds(); stream_seeds(); proxy_answer_seeds(); translation_seeds()
    for t in sorted(os.listdir(ROOT)):
        print(t, len(os.listdir(os.path.join(ROOT, t))))
