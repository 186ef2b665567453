//! Streaming recognition over WebSocket: [`Client::listen`] gives an [`AudioWriter`] to write PCM into and an
//! iterator of [`StreamEvent`]s (hypotheses while the person speaks, a phrase at each pause).
//!
//! The protocol is the core's ([`speech_proto::stt::stream::StreamSession`]); the WebSocket driver thread (shared
//! with synthesis) moves its frames over a [tungstenite] WebSocket, through the client's proxy when one is set.

use std::io::{self, Write};
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use speech_proto::stt::stream::{StreamEvent, StreamRequest, StreamSession, StreamSettings};

use crate::client::Client;
use crate::error::Error;
use crate::ws::Shared;

/// Where a streaming session's audio goes: raw PCM (16-bit little-endian, the request's rate and channels,
/// 16 kHz mono by default). `write` blocks while the session holds as much audio as it may
/// ([`StreamSettings::max_buffered`]); [`finish`](AudioWriter::finish) (or dropping the writer) says the audio
/// is over.
pub struct AudioWriter {
    shared: Arc<Shared<StreamSession>>,
}

impl AudioWriter {
    /// No more audio: the session ends once the service has answered for all of it.
    pub fn finish(&mut self) {
        self.shared.lock().session.finish_audio();
        self.shared.changed.notify_all();
    }
}

impl Write for AudioWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let mut state = self.shared.lock();
        loop {
            if state.session.is_ended() || state.stopped || state.cancelled {
                return Err(io::Error::new(
                    io::ErrorKind::BrokenPipe,
                    "the streaming session has ended",
                ));
            }
            let n = state.session.push_audio(buf);
            if n > 0 {
                drop(state);
                self.shared.changed.notify_all();
                return Ok(n);
            }
            state = self
                .shared
                .changed
                .wait_timeout(state, Duration::from_millis(100))
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for AudioWriter {
    fn drop(&mut self) {
        self.finish();
    }
}

/// The events of a streaming session, in order, ending with [`StreamEvent::SessionEnded`]. Dropping it stops the
/// session.
pub struct Events {
    shared: Arc<Shared<StreamSession>>,
    done: bool,
}

impl Iterator for Events {
    type Item = StreamEvent;

    fn next(&mut self) -> Option<StreamEvent> {
        if self.done {
            return None;
        }
        let mut state = self.shared.lock();
        loop {
            if let Some(e) = state.events.pop_front() {
                if matches!(e, StreamEvent::SessionEnded(_)) {
                    self.done = true;
                }
                return Some(e);
            }
            if state.stopped {
                self.done = true;
                return None;
            }
            state = self
                .shared
                .changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

impl Drop for Events {
    fn drop(&mut self) {
        self.shared.lock().cancelled = true;
        self.shared.changed.notify_all();
    }
}

impl Client {
    /// Start streaming recognition: returns where to write the audio and the events. The connection is opened
    /// on a thread of the session's own, which ends with the session.
    ///
    /// ```no_run
    /// use std::io::Write;
    /// use speech_ureq::speech_proto::stt::stream::{StreamEvent, StreamRequest, StreamSettings};
    /// # fn f(client: speech_ureq::Client, pcm: Vec<u8>) -> Result<(), speech_ureq::Error> {
    /// let (mut audio, events) = client.listen(StreamRequest::new("en-US"), StreamSettings::default())?;
    /// std::thread::spawn(move || {
    ///     let _ = audio.write_all(&pcm); // 16 kHz mono s16le, e.g. from a microphone
    ///     audio.finish();
    /// });
    /// for event in events {
    ///     match event {
    ///         StreamEvent::Hypothesis { text, .. } => eprint!("\r{text}"),
    ///         StreamEvent::Phrase(p) => println!("\r{}", p.display_text.unwrap_or_default()),
    ///         _ => {}
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// A request whose language or audio format cannot be used. Everything after that (the handshake's
    /// status, closes, a lost connection that could not be re-established) arrives as the last event,
    /// [`StreamEvent::SessionEnded`] with [`EndReason::Error`].
    pub fn listen(
        &self,
        request: StreamRequest,
        settings: StreamSettings,
    ) -> Result<(AudioWriter, Events), Error> {
        let session = StreamSession::new(
            self.inner.endpoint.clone(),
            request,
            settings,
            self.inner.clock.entropy(),
        )?;
        let shared = crate::ws::spawn(self, session, "speech-listen")?;
        Ok((
            AudioWriter {
                shared: shared.clone(),
            },
            Events {
                shared,
                done: false,
            },
        ))
    }
}
