//! Bodies on their way through: one boxed type for both directions, and a
//! watched stream for bodies too large to validate (counted, cut at a
//! deadline, and reported when they end).

use std::error::Error as StdError;
use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, SizeHint};

/// The error of a body in flight.
pub(crate) type BoxError = Box<dyn StdError + Send + Sync>;

/// Every body the proxy sends, either way.
pub(crate) type ProxyBody = UnsyncBoxBody<Bytes, BoxError>;

/// A body of known bytes.
pub(crate) fn full(bytes: impl Into<Bytes>) -> ProxyBody {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// Any body, boxed.
pub(crate) fn boxed<B>(body: B) -> ProxyBody
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    body.map_err(Into::into).boxed_unsync()
}

/// How a watched stream ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    /// The whole body went through.
    Complete(u64),
    /// The upstream's body failed after this many bytes.
    Broken(u64),
    /// Still streaming at the deadline: cut after this many bytes.
    Cut(u64),
    /// The client went away after this many bytes.
    Abandoned(u64),
}

/// The body's error when the deadline cuts it.
#[derive(Debug, thiserror::Error)]
#[error("still streaming after {0:?}; cut off")]
pub(crate) struct Deadline(Duration);

type OnEnd = Box<dyn FnOnce(End) + Send>;

/// A body streamed through with a deadline, reporting how it ended.
pub(crate) struct Watched {
    inner: ProxyBody,
    sent: u64,
    sleep: Pin<Box<tokio::time::Sleep>>,
    limit: Duration,
    on_end: Option<OnEnd>,
}

impl Watched {
    pub(crate) fn new(inner: ProxyBody, limit: Duration, on_end: OnEnd) -> Watched {
        Watched {
            inner,
            sent: 0,
            sleep: Box::pin(tokio::time::sleep(limit)),
            limit,
            on_end: Some(on_end),
        }
    }

    fn end(&mut self, how: End) {
        if let Some(f) = self.on_end.take() {
            f(how);
        }
    }
}

impl Body for Watched {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if self.on_end.is_none() {
            return Poll::Ready(None);
        }
        if self.sleep.as_mut().poll(cx).is_ready() {
            let sent = self.sent;
            self.end(End::Cut(sent));
            let limit = self.limit;
            return Poll::Ready(Some(Err(Box::new(Deadline(limit)))));
        }
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    self.sent += data.len() as u64;
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => {
                let sent = self.sent;
                self.end(End::Broken(sent));
                Poll::Ready(Some(Err(e)))
            }
            Poll::Ready(None) => {
                let sent = self.sent;
                self.end(End::Complete(sent));
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.on_end.is_none() || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        let sent = self.sent;
        // hyper stops polling once the body says it has ended.
        if self.inner.is_end_stream() {
            self.end(End::Complete(sent));
        } else {
            self.end(End::Abandoned(sent));
        }
    }
}
