import CLinux
import Glibc

/// SIGINT, SIGTERM and SIGHUP read from a signalfd inside the loop, so a signal is an
/// ordinary event rather than an interruption at an arbitrary point.
/// `SignalSource.blockSignals()` must run in the main thread before any loop starts, so
/// every thread inherits the mask.
public final class SignalSource: EventHandler {
    private let fd: Int32
    private unowned let loop: EventLoop
    private let onSignal: (Int32) -> Void

    public static func blockSignals() {
        var set = sigset_t()
        _ = clinux_block_signals(&set)
        clinux_ignore_sigpipe()
    }

    public init(loop: EventLoop, onSignal: @escaping (Int32) -> Void) throws(SystemError) {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGHUP)
        let fd = signalfd(-1, &set, Int32(SFD_NONBLOCK | SFD_CLOEXEC))
        guard fd >= 0 else { throw SystemError("signalfd") }
        self.fd = fd
        self.loop = loop
        self.onSignal = onSignal
        try loop.register(fd: fd, events: UInt32(EPOLLIN.rawValue), handler: self)
    }

    public func handleEvents(_ events: UInt32) {
        var info = signalfd_siginfo()
        while read(fd, &info, MemoryLayout<signalfd_siginfo>.size) == MemoryLayout<signalfd_siginfo>.size {
            onSignal(Int32(info.ssi_signo))
        }
    }

    public func close() {
        loop.deregister(fd: fd)
        Glibc.close(fd)
    }
}
