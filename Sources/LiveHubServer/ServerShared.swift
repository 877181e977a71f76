import Reactor

/// What every loop of one server shares: the configuration and the other loops' handles
/// and counters. Immutable after start, so loops read it without locks.
final class ServerShared: Sendable {
    let configuration: ServerConfiguration
    let handles: [EventLoopHandle]
    let stats: [LoopStats]
    let startedAt: UInt64
    let publication = HubPublication()
    let staticFiles: StaticFiles
    /// The loop that owns the hub.
    var hubHandle: EventLoopHandle { handles[0] }

    init(configuration: ServerConfiguration, handles: [EventLoopHandle], stats: [LoopStats]) {
        self.configuration = configuration
        self.handles = handles
        self.stats = stats
        self.startedAt = EventLoop.now
        self.staticFiles = StaticFiles(root: configuration.webRoot)
    }

    /// One frame to every seller on every loop: one task per loop, not per seller.
    /// `errorsUpTo`: the newest payment error id the frame carries, if it carries errors.
    func deliverToSellers(_ frame: OutboundBytes, conflatable: Bool, errorsUpTo: Int64? = nil) {
        for handle in handles {
            handle.execute { loop in
                guard let context = loop.context as? LoopContext else { return }
                context.sellerRoom.deliver(frame, conflatable: conflatable, context: context)
                if let errorsUpTo { context.sellerErrorsUpTo = max(context.sellerErrorsUpTo, errorsUpTo) }
            }
        }
    }

    func forEachOtherLoop(than index: Int, _ body: (EventLoopHandle) -> Void) {
        for (i, handle) in handles.enumerated() where i != index { body(handle) }
    }
}
