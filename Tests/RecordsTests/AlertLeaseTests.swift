import Glibc
import Testing
@testable import Hub
@testable import Records

@Suite("Alert deliveries leased to a node")
struct AlertLeaseTests {
    private func store() throws -> RecordsStore {
        var template = Array("/tmp/livehub-leases-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        return try RecordsStore(path: dir + "/livehub.db")
    }

    private func alert(_ id: Int64) -> Alert {
        Alert(id: id, kind: .paymentGap, title: "t", message: "m", userId: nil, reference: "r\(id)", createdAt: 0)
    }

    @Test func aNodeTakesWhatNobodyHoldsWhatItHeldBeforeItsRestartAndWhatALeaseLeftBehind() throws {
        let store = try store()
        try store.insert(alert(1), deliveryStatus: "pending")  // from before leases
        try store.insert(alert(2), deliveryStatus: "pending", lease: ("a", 1_000))
        try store.insert(alert(3), deliveryStatus: "pending", lease: ("b", 1_000))
        try store.insert(alert(4), deliveryStatus: "pending", lease: ("b", 100))
        try store.insert(alert(5), deliveryStatus: "sent", lease: ("b", 100))
        // Node a, running: the unleased one and b's whose lease ran out (at 500).
        #expect(try store.claimPendingAlerts(node: "a", until: 2_000, now: 500, own: false).map(\.alert.id) == [1, 4])
        // Now a holds them: b, restarting, gets only its own that are still leased to it.
        #expect(try store.claimPendingAlerts(node: "b", until: 2_000, now: 600, own: true).map(\.alert.id) == [3])
        // a restarting takes back all it holds.
        #expect(try store.claimPendingAlerts(node: "a", until: 3_000, now: 700, own: true).map(\.alert.id) == [1, 2, 4])
        // Nothing is left to anyone else until the leases run out.
        #expect(try store.claimPendingAlerts(node: "c", until: 3_000, now: 1_500, own: false).isEmpty)
        #expect(try store.claimPendingAlerts(node: "c", until: 9_000, now: 3_500, own: false).map(\.alert.id) == [1, 2, 3, 4])
    }

    @Test func aLiveNodesRenewedLeasesAreNotTakenOver() throws {
        let store = try store()
        try store.insert(alert(1), deliveryStatus: "pending", lease: ("a", 1_000))
        try store.insert(alert(2), deliveryStatus: "pending", lease: ("b", 1_000))
        try store.insert(alert(3), deliveryStatus: "sent", lease: ("a", 1_000))
        try store.renewAlertLeases(node: "a", until: 5_000)  // a lives; b died
        #expect(try store.claimPendingAlerts(node: "c", until: 9_000, now: 2_000, own: false).map(\.alert.id) == [2])
        #expect(try store.claimPendingAlerts(node: "c", until: 9_000, now: 5_001, own: false).map(\.alert.id) == [1])
    }
}
