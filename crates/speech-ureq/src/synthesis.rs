//! Synthesis over WebSocket: [`Client::synthesizer`] gives a [`Synthesizer`] whose [`speak`](Synthesizer::speak)
//! yields the audio as it is made, with word, punctuation and sentence boundaries, bookmarks and visemes beside
//! it; consecutive syntheses reuse one connection.
//!
//! The protocol is the core's ([`SynthesisSession`]); the WebSocket driver thread (shared with streaming
//! recognition) moves its frames, with the client's token machine and proxy.

use std::sync::{Arc, PoisonError};

use speech_proto::tts::stream::{
    is_last, Collector, SpeakRequest, Synthesis, SynthesisEvent, SynthesisSession,
    SynthesisSettings,
};

use crate::client::Client;
use crate::error::Error;
use crate::ws::Shared;

/// Syntheses over one WebSocket connection, one after another. Dropping it closes the connection.
pub struct Synthesizer {
    shared: Arc<Shared<SynthesisSession>>,
    /// Syntheses whose events were left unread: skipped before the next one's.
    unread: usize,
}

/// The events of one synthesis, in order, ending with [`SynthesisEvent::Completed`] or
/// [`SynthesisEvent::Failed`]. Dropping it early skips the rest (the synthesis still runs to its end).
pub struct SynthesisEvents<'a> {
    synthesizer: &'a mut Synthesizer,
    done: bool,
}

impl Iterator for SynthesisEvents<'_> {
    type Item = SynthesisEvent;

    fn next(&mut self) -> Option<SynthesisEvent> {
        if self.done {
            return None;
        }
        let shared = &self.synthesizer.shared;
        let mut state = shared.lock();
        loop {
            if let Some(e) = state.events.pop_front() {
                if !is_last(&e) {
                    return Some(e);
                }
                if self.synthesizer.unread > 0 {
                    self.synthesizer.unread -= 1;
                    continue;
                }
                self.done = true;
                return Some(e);
            }
            if state.stopped {
                self.done = true;
                return None;
            }
            state = shared
                .changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

impl Drop for SynthesisEvents<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.synthesizer.unread += 1;
        }
    }
}

impl Synthesizer {
    /// Synthesize: the events as they come, audio among them ([`SynthesisEvent::Audio`], in the request's
    /// wire format: raw audio for a `riff-*` format, whose header
    /// [`riff_header`](speech_proto::tts::stream::riff_header) makes).
    ///
    /// ```no_run
    /// use std::io::Write;
    /// use speech_ureq::speech_proto::tts::stream::{SpeakRequest, SynthesisEvent, SynthesisSettings};
    /// # fn f(client: speech_ureq::Client) -> Result<(), speech_ureq::Error> {
    /// let mut synthesizer = client.synthesizer(SynthesisSettings::default())?;
    /// let request = SpeakRequest::text("en-US", "en-US-AvaMultilingualNeural", "Hello, world.")?;
    /// for event in synthesizer.speak(request)? {
    ///     match event {
    ///         SynthesisEvent::Audio(pcm) => std::io::stdout().write_all(&pcm)?,
    ///         SynthesisEvent::Boundary(b) => eprintln!("{:?} {} at {:?}", b.kind, b.text, b.offset),
    ///         SynthesisEvent::Failed(e) => return Err(e.into()),
    ///         _ => {}
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// The synthesizer is closed (its connection thread ended). Everything after that arrives as events: a
    /// failure is the last one, [`SynthesisEvent::Failed`].
    pub fn speak(&mut self, request: SpeakRequest) -> Result<SynthesisEvents<'_>, Error> {
        {
            let mut state = self.shared.lock();
            if state.stopped {
                return Err(Error::Config(
                    "the synthesizer's connection thread has ended".to_owned(),
                ));
            }
            state.session.speak(request)?;
        }
        self.shared.changed.notify_all();
        Ok(SynthesisEvents {
            synthesizer: self,
            done: false,
        })
    }

    /// Synthesize and wait: the whole audio (with its RIFF header for a `riff-*` format) and the events.
    ///
    /// # Errors
    ///
    /// The synthesis failed ([`SynthesisEvent::Failed`]'s error), or its audio is over
    /// [`MAX_COLLECTED_AUDIO`](speech_proto::tts::stream::session::MAX_COLLECTED_AUDIO).
    pub fn speak_collect(&mut self, request: SpeakRequest) -> Result<Synthesis, Error> {
        let mut collector = Collector::new(&request);
        for event in self.speak(request)? {
            if let Some(result) = collector.push(event) {
                return result.map_err(Error::from);
            }
        }
        Err(Error::Config(
            "the synthesizer's connection thread has ended".to_owned(),
        ))
    }
}

impl Drop for Synthesizer {
    fn drop(&mut self) {
        self.shared.lock().cancelled = true;
        self.shared.changed.notify_all();
    }
}

impl Client {
    /// A synthesizer over WebSocket, on a connection thread of its own (the connection opens at the first
    /// synthesis and is kept for the next ones).
    ///
    /// # Errors
    ///
    /// The thread could not be started.
    pub fn synthesizer(&self, settings: SynthesisSettings) -> Result<Synthesizer, Error> {
        let session = SynthesisSession::new(
            self.inner.endpoint.clone(),
            settings,
            self.inner.clock.entropy(),
        );
        Ok(Synthesizer {
            shared: crate::ws::spawn(self, session, "speech-synthesizer")?,
            unread: 0,
        })
    }
}
