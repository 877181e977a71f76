import CLinux
import Dispatch
import Glibc

/// N event loops, each on its own thread. Loops share nothing mutable: they talk only by
/// handing tasks to each other's `EventLoopHandle`.
public final class ReactorGroup {
    public let handles: [EventLoopHandle]
    public let stats: [LoopStats]
    private var loops: [EventLoop]
    private var threads: [pthread_t] = []

    /// Creates `count` loops; none runs until `start`.
    public init(loops count: Int) throws(SystemError) {
        var loops: [EventLoop] = []
        for i in 0..<count { loops.append(try EventLoop(index: i)) }
        self.loops = loops
        handles = loops.map(\.handle)
        stats = loops.map(\.stats)
    }

    /// On each loop's own thread calls `setup(loop)` (register listeners, install the
    /// loop's context), then runs the loop until it is stopped. With `pinToCPUs`, loop i
    /// runs on CPU (firstCPU + i).
    /// Each loop's `setup` runs on its own thread, one loop after the other in index order
    /// (what loop 0 sets up is there before any other loop takes a connection), and this
    /// returns once every setup has run: a server that says it is ready is.
    public func start(pinToCPUs: Bool = false, firstCPU: Int = 0, setup: @escaping @Sendable (EventLoop) -> Void) throws(SystemError) {
        let loops = self.loops
        self.loops = []
        var started: [pthread_t] = []
        let turns = (0...loops.count).map { _ in DispatchSemaphore(value: 0) }
        turns[0].signal()
        for loop in loops {
            // The loop object is handed over to its thread here and touched by no other
            // thread afterwards: that transfer is what the unmanaged box carries.
            let start = ThreadStart(loop: loop, setup: setup, cpu: pinToCPUs ? firstCPU + loop.index : nil,
                                    turn: turns[loop.index], next: turns[loop.index + 1])
            var thread = pthread_t()
            let rc = pthread_create(&thread, nil, { raw in
                let start = Unmanaged<ThreadStart>.fromOpaque(raw!).takeRetainedValue()
                if let cpu = start.cpu { _ = clinux_pin_to_cpu(Int32(cpu)) }
                start.turn.wait()
                start.setup(start.loop)
                start.next.signal()
                start.loop.run()
                return nil
            }, Unmanaged.passRetained(start).toOpaque())
            guard rc == 0 else { throw SystemError("pthread_create", errno: rc) }
            started.append(thread)
        }
        threads = started
        turns[loops.count].wait()
    }

    /// Waits for every loop to stop.
    public func join() {
        for thread in threads { pthread_join(thread, nil) }
    }
}

private final class ThreadStart {
    let loop: EventLoop
    let setup: @Sendable (EventLoop) -> Void
    let cpu: Int?
    /// Signalled when this loop's setup may run; this loop signals `next` when it has.
    let turn: DispatchSemaphore
    let next: DispatchSemaphore

    init(loop: EventLoop, setup: @escaping @Sendable (EventLoop) -> Void, cpu: Int?, turn: DispatchSemaphore, next: DispatchSemaphore) {
        self.loop = loop
        self.setup = setup
        self.cpu = cpu
        self.turn = turn
        self.next = next
    }
}
