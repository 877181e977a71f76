// libFuzzer harness for the WebSocket frame parser and connection state machine (built
// with Sources/WebSocket, less the handshake, by scripts/fuzz): no crash, and the same
// actions whatever the input split.

func receiveAll(_ bytes: ArraySlice<UInt8>, plan: SplitPlan?) -> [WebSocketConnection.Action] {
    var connection = WebSocketConnection(configuration: .init(maxMessageSize: 4096))
    var actions: [WebSocketConnection.Action] = []
    feedInPieces(bytes, plan: plan) { piece in
        connection.receive(piece) { actions.append($0) }
        return true
    }
    return actions
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    checkSplitInvariance(data, count, receiveAll)
}
