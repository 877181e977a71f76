import CLinux
import Glibc
import Synchronization

/// Something registered with the loop's epoll set.
public protocol EventHandler: AnyObject {
    /// `events` holds the epoll bits that fired (EPOLLIN, EPOLLOUT, EPOLLHUP, EPOLLERR).
    func handleEvents(_ events: UInt32)
}

/// One thread's epoll loop. Everything registered with it is confined to its thread, so
/// it is deliberately not Sendable; other threads reach it only through its `handle`.
public final class EventLoop {
    public let index: Int
    public let handle: EventLoopHandle
    public let stats: LoopStats

    let epollFD: Int32
    /// Read buffer shared by every connection of the loop: an idle connection owns none.
    let readBuffer: UnsafeMutableRawBufferPointer
    /// Where TLS connections decrypt into, also shared.
    let tlsPlaintextBuffer: UnsafeMutableRawBufferPointer
    /// Scratch iovecs for gathered writes.
    let iovecs: UnsafeMutablePointer<iovec>
    static let maxIovecs = 64

    /// Handlers by file descriptor, each with a generation: the epoll event carries both,
    /// so an event for an fd closed and reused in the same batch is dropped, not misrouted.
    private var handlers: [(handler: EventHandler?, generation: UInt32)] = []
    private var nextGeneration: UInt32 = 1
    /// Connections with bytes queued this turn: written once each at the end of the turn.
    var pendingFlush: [TCPConnection] = []
    private var timers = TimerQueue()
    /// Work to run once, after this turn's events and tasks, before the writes go out.
    private var endOfTurn: [() -> Void] = []
    private var running = false
    /// Monotonic time at the start of this loop turn: cheap enough to read per event.
    public private(set) var turnTime: UInt64 = EventLoop.now

    public init(index: Int = 0) throws(SystemError) {
        self.index = index
        let epfd = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epfd >= 0 else { throw SystemError("epoll_create1") }
        epollFD = epfd
        let wake = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard wake >= 0 else { throw SystemError("eventfd") }
        handle = EventLoopHandle(wakeFD: wake)
        stats = LoopStats()
        readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
        tlsPlaintextBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
        iovecs = UnsafeMutablePointer<iovec>.allocate(capacity: Self.maxIovecs)
        try register(fd: wake, events: UInt32(EPOLLIN.rawValue), handler: WakeHandler(loop: self))
    }

    deinit {
        readBuffer.deallocate()
        tlsPlaintextBuffer.deallocate()
        iovecs.deallocate()
        close(epollFD)
        close(handle.wakeFD)
    }

    /// Monotonic nanoseconds.
    public static var now: UInt64 { clinux_monotonic_ns() }

    // MARK: registration

    public func register(fd: Int32, events: UInt32, handler: EventHandler) throws(SystemError) {
        let slot = Int(fd)
        if slot >= handlers.count {
            handlers.append(contentsOf: repeatElement((handler: nil as EventHandler?, generation: UInt32(0)), count: slot + 1 - handlers.count))
        }
        let generation = nextGeneration
        nextGeneration &+= 1
        handlers[slot] = (handler, generation)
        var event = epoll_event()
        event.events = events
        event.data.u64 = UInt64(generation) << 32 | UInt64(UInt32(bitPattern: fd))
        guard epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) == 0 else {
            handlers[slot] = (nil, 0)
            throw SystemError("epoll_ctl(ADD)")
        }
    }

    public func modify(fd: Int32, events: UInt32) {
        let slot = Int(fd)
        guard slot < handlers.count, handlers[slot].handler != nil else { return }
        var event = epoll_event()
        event.events = events
        event.data.u64 = UInt64(handlers[slot].generation) << 32 | UInt64(UInt32(bitPattern: fd))
        _ = epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, &event)
    }

    /// Forgets `fd`; call before closing it.
    public func deregister(fd: Int32) {
        let slot = Int(fd)
        guard slot < handlers.count else { return }
        handlers[slot] = (nil, 0)
        _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, nil)
    }

    // MARK: timers

    /// Runs `body` on this loop after `delay` nanoseconds.
    @discardableResult
    public func schedule(afterNanoseconds delay: UInt64, _ body: @escaping () -> Void) -> TimerID {
        timers.add(deadline: Self.now &+ delay, body)
    }

    /// Runs `body` every `interval` nanoseconds until the loop stops or it is cancelled.
    @discardableResult
    public func scheduleRepeating(everyNanoseconds interval: UInt64, _ body: @escaping () -> Void) -> TimerID {
        let id = timers.reserveID()
        func arm(_ deadline: UInt64) {
            timers.add(id: id, deadline: deadline) { [unowned self] in
                // How late this run is: the loop's lag, as /metrics reports it.
                stats.loopLagNanoseconds.store(Int(Self.now &- deadline), ordering: .relaxed)
                body()
                if !timers.takeCancellation(id) { arm(deadline &+ interval) }
            }
        }
        arm(Self.now &+ interval)
        return id
    }

    public func cancel(_ id: TimerID) {
        timers.cancel(id)
    }

    // MARK: running

    /// Runs until `stop()`.
    public func run() {
        running = true
        let maxEvents = 256
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: maxEvents)
        defer { events.deallocate() }
        while running {
            var timeout: Int32 = -1
            if !pendingFlush.isEmpty || !endOfTurn.isEmpty {
                timeout = 0
            } else if let deadline = timers.nextDeadline() {
                let now = Self.now
                timeout = deadline <= now ? 0 : Int32(min((deadline - now + 999_999) / 1_000_000, 60_000))
            }
            let n = epoll_wait(epollFD, events, Int32(maxEvents), timeout)
            if n < 0 {
                let err = clinux_errno()
                if err == EINTR { continue }
                fatalError("\(SystemError("epoll_wait", errno: err))")
            }
            turnTime = Self.now
            dispatch(events, count: Int(n))
            // Work waits for the end of the turn (a room's writes): what arrived while
            // this turn's events were handled joins it, one look without waiting, so
            // messages sent together go out together (one write per member, not two).
            if !endOfTurn.isEmpty {
                let more = epoll_wait(epollFD, events, Int32(maxEvents), 0)
                if more > 0 { dispatch(events, count: Int(more)) }
            }
            while let due = timers.popDue(now: turnTime) { due() }
            runTasks()
            while !endOfTurn.isEmpty {
                let batch = endOfTurn
                endOfTurn.removeAll(keepingCapacity: true)
                for body in batch { body() }
            }
            flushPending()
        }
    }

    private func dispatch(_ events: UnsafeMutablePointer<epoll_event>, count: Int) {
        for i in 0..<count {
            let data = events[i].data.u64
            let slot = Int(UInt32(truncatingIfNeeded: data))
            let generation = UInt32(truncatingIfNeeded: data >> 32)
            guard slot < handlers.count, handlers[slot].generation == generation,
                  let handler = handlers[slot].handler else { continue }
            handler.handleEvents(events[i].events)
        }
    }

    /// Runs `body` at the end of this loop turn (batching: many events, one action).
    public func atEndOfTurn(_ body: @escaping () -> Void) {
        endOfTurn.append(body)
    }

    public func stop() {
        running = false
    }

    func runTasks() {
        for task in handle.takeTasks() { task(self) }
    }

    func flushPending() {
        // A flush can queue more (a close after a write): loop until the list is stable.
        while !pendingFlush.isEmpty {
            let batch = pendingFlush
            pendingFlush.removeAll(keepingCapacity: true)
            for connection in batch { connection.flushNow() }
        }
    }
}

/// The thread-safe side of an event loop: hand it work from any thread.
public final class EventLoopHandle: Sendable {
    let wakeFD: Int32
    private let tasks = Mutex<[@Sendable (EventLoop) -> Void]>([])

    init(wakeFD: Int32) {
        self.wakeFD = wakeFD
    }

    /// Runs `task` on the loop's thread, on its next turn.
    public func execute(_ task: @escaping @Sendable (EventLoop) -> Void) {
        let wasEmpty = tasks.withLock { queue in
            queue.append(task)
            return queue.count == 1
        }
        // One wake-up per batch of tasks, not one per task.
        if wasEmpty {
            var one: UInt64 = 1
            _ = write(wakeFD, &one, 8)
        }
    }

    func takeTasks() -> [@Sendable (EventLoop) -> Void] {
        tasks.withLock { queue in
            let taken = queue
            queue.removeAll()
            return taken
        }
    }
}

private final class WakeHandler: EventHandler {
    unowned let loop: EventLoop
    init(loop: EventLoop) { self.loop = loop }

    func handleEvents(_ events: UInt32) {
        var value: UInt64 = 0
        _ = read(loop.handle.wakeFD, &value, 8)
    }
}
