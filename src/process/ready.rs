//! Whether input is waiting on a descriptor, asked without waiting: the
//! reader gathers reads while more is ready, and must never block to do it.

use std::os::fd::RawFd;

/// Whether a read of `fd` would return at once (data, or the end).
pub(crate) fn ready_now(fd: RawFd) -> bool {
    let mut poll = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one pollfd that lives across the call, a count of 1 and a
    // zero timeout; an fd that is not open only sets POLLNVAL.
    let n = unsafe { libc::poll(&raw mut poll, 1, 0) };
    n == 1 && poll.revents & libc::POLLIN != 0
}
