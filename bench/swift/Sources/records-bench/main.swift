// Ledger writes/s through the money engine alone (no HTTP): N writes over U users,
// submitted in batches of B as the server's loops would, each batch one transaction.
// usage: records-bench PATH [writes] [users] [batch]   (PATH: a new SQLite file, or a postgres:// URL)
import Dispatch
import Hub
import Money
import Records
import Glibc
import Synchronization

final class Clock: WallClock, @unchecked Sendable {
    var nowMilliseconds: Int64 { Int64(DispatchTime.now().uptimeNanoseconds / 1_000_000) + 1_795_000_000_000 }
}

let args = CommandLine.arguments
let target = args.count > 1 ? args[1] : "/tmp/records-bench.db"
let writes = args.count > 2 ? Int(args[2])! : 100_000
let users = args.count > 3 ? Int(args[3])! : 10_000
let batchSize = args.count > 4 ? Int(args[4])! : 200
let database = RecordsDatabase(target, dataDirectory: "/tmp") ?? .sqlite(path: target)
let store = try database.open()
let engine = try MoneyEngine(store: store, clock: Clock(), configuration: .init()) { _ in }
let done = Atomic<Int>(0)
let started = DispatchTime.now().uptimeNanoseconds
var submitted = 0
while submitted < writes {
    let n = min(batchSize, writes - submitted)
    var batch = MoneyBatch<Void>()
    for k in 0..<n {
        let i = submitted + k
        batch.add(WriteLedger(LedgerEntry(userId: "user\(i % users)", amount: Money(minorUnits: 125), kind: i % 4 == 0 ? .debit : .credit,
                                          description: "bench", service: nil, reference: "bench-\(i)-\(started)", paymentReference: nil))) { _ in }
    }
    engine.submit(batch) { answers in done.add(answers.count, ordering: .relaxed) }
    submitted += n
    // As many in flight as 8 connections × 64 pipelined requests.
    while submitted - done.load(ordering: .relaxed) > 512 { usleep(50) }
}
engine.flush()
let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
print("records-bench \(store.name) writes=\(writes) users=\(users) batch=\(batchSize) seconds=\((seconds * 1000).rounded() / 1000) writes_per_s=\(Int(Double(writes) / seconds))")
