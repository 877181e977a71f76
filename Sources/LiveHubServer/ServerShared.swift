import Reactor

/// What every loop of one server shares: the configuration and the other loops' handles
/// and counters. Immutable after start, so loops read it without locks.
final class ServerShared: Sendable {
    let configuration: ServerConfiguration
    let handles: [EventLoopHandle]
    let stats: [LoopStats]
    let startedAt: UInt64

    init(configuration: ServerConfiguration, handles: [EventLoopHandle], stats: [LoopStats]) {
        self.configuration = configuration
        self.handles = handles
        self.stats = stats
        self.startedAt = EventLoop.now
    }

    func forEachOtherLoop(than index: Int, _ body: (EventLoopHandle) -> Void) {
        for (i, handle) in handles.enumerated() where i != index { body(handle) }
    }
}
