import Reactor

/// `/metrics` in the Prometheus text format (version 0.0.4): the transport's and the
/// server's counters summed over every loop, and the hub's figures.
enum PrometheusExporter {
    static func render(_ shared: ServerShared) -> String {
        let stats = shared.stats
        func sum(_ field: (LoopStats) -> Int) -> Int {
            stats.reduce(0) { $0 + field($1) }
        }
        func serverSum(_ field: (ServerCounters) -> Int) -> Int {
            shared.counters.reduce(0) { $0 + field($1) }
        }
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String, _ value: Int) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n"
        }
        metric("livehub_connections_open", "gauge", "TCP connections open now.", sum { $0.connectionsOpen.value })
        metric("livehub_connections_accepted_total", "counter", "TCP connections accepted.", sum { $0.connectionsAccepted.value })
        metric("livehub_messages_in_total", "counter", "WebSocket messages received.", serverSum { $0.messagesIn.value })
        metric("livehub_messages_out_total", "counter", "WebSocket messages queued for sending (every data frame: room deliveries, replies, echoes).", serverSum { $0.messagesOut.value })
        metric("livehub_bytes_in_total", "counter", "Bytes read from sockets.", sum { $0.bytesIn.value })
        metric("livehub_bytes_out_total", "counter", "Bytes written to sockets.", sum { $0.bytesOut.value })
        metric("livehub_slow_consumer_closes_total", "counter", "Connections closed because they read too slowly.", serverSum { $0.slowConsumerCloses.value })
        out += "# HELP livehub_loop_lag_seconds How late each event loop ran its last one-second tick.\n# TYPE livehub_loop_lag_seconds gauge\n"
        for (i, loop) in stats.enumerated() {
            let lag = Double(loop.loopLagNanoseconds.value) / 1e9
            out += "livehub_loop_lag_seconds{loop=\"\(i)\"} \(lag)\n"
        }
        metric("livehub_conflated_updates_dropped_total", "counter", "Seller updates skipped for slow sellers (a newer one follows).", serverSum { $0.conflatedDrops.value })
        // The hub's loop's own timings (loop 0).
        func seconds(_ name: String, _ help: String, _ nanoseconds: Int) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n\(name) \(Double(nanoseconds) / 1e9)\n"
        }
        let hubLoop = shared.counters[0]
        seconds("livehub_sweep_seconds", "Duration of the last idle sweep.", hubLoop.sweepNanoseconds.value)
        seconds("livehub_snapshot_seconds", "Duration of the last snapshot (encode, write, fsync).", hubLoop.snapshotNanoseconds.value)
        seconds("livehub_snapshot_capture_seconds", "Time the hub's loop spent capturing the last snapshot (encoding and writing run on another thread).",
                hubLoop.snapshotCaptureNanoseconds.value)
        out += "# HELP livehub_rollup_flushes_total The shop's day's counts handed to the records database, by outcome (not written: kept for the next).\n# TYPE livehub_rollup_flushes_total counter\n"
        out += "livehub_rollup_flushes_total{outcome=\"written\"} \(hubLoop.rollupsWritten.value)\n"
        out += "livehub_rollup_flushes_total{outcome=\"not_written\"} \(hubLoop.rollupsNotWritten.value)\n"
        let hub = shared.publication.read()
        metric("livehub_sessions_live", "gauge", "Sessions active now.", hub.counters.totalActive)
        metric("livehub_sessions_kept", "gauge", "Sessions in the table, active or ended (kept for revival).", hub.sessionsKept)
        out += "# HELP livehub_sessions_on_page Active sessions per page type.\n# TYPE livehub_sessions_on_page gauge\n"
        for (page, count) in hub.counters.pages.sorted(by: { $0.key < $1.key }) {
            out += "livehub_sessions_on_page{page=\(quoted(page))} \(count)\n"
        }
        out += "# HELP livehub_room_members WebSockets in each room.\n# TYPE livehub_room_members gauge\n"
        out += "livehub_room_members{room=\"seller\"} \(serverSum { $0.sellerRoomMembers.value })\n"
        out += "livehub_room_members{room=\"balance\"} \(serverSum { $0.balanceRoomMembers.value })\n"
        out += "livehub_room_members{room=\"broadcast\"} \(serverSum { $0.broadcastRoomMembers.value })\n"
        out += "# HELP livehub_rate_limited_total Requests answered 429 (per client IP token buckets).\n# TYPE livehub_rate_limited_total counter\n"
        out += "livehub_rate_limited_total{kind=\"beacon\"} \(serverSum { $0.beaconsRateLimited.value })\n"
        out += "livehub_rate_limited_total{kind=\"webhook\"} \(serverSum { $0.webhooksRateLimited.value })\n"
        out += "livehub_rate_limited_total{kind=\"read\"} \(serverSum { $0.readsLimited.value })\n"
        metric("livehub_sessions_refused_total", "counter", "New sessions refused: the table was full of live sessions (--max-sessions).", hub.sessionsRefused)
        metric("livehub_sessions_evicted_total", "counter", "Ended sessions forgotten early to make room for new ones.", hub.sessionsEvicted)
        metric("livehub_connections_shed_total", "counter", "Connections closed or refused near --max-connections.", serverSum { $0.connectionsShed.value })
        metric("livehub_unread_answer_closes_total", "counter", "HTTP connections closed for not reading their answers.", serverSum { $0.unreadAnswerCloses.value })
        out += shared.reconcile.metrics.render()
        out += shared.email.metrics.render()
        out += "# HELP livehub_http_responses_total HTTP answers, by status class.\n# TYPE livehub_http_responses_total counter\n"
        for (label, field) in [("1xx", { (c: ServerCounters) in c.responses1xx.value }), ("2xx", { $0.responses2xx.value }),
                               ("3xx", { $0.responses3xx.value }), ("4xx", { $0.responses4xx.value }), ("5xx", { $0.responses5xx.value })] {
            out += "livehub_http_responses_total{class=\"\(label)\"} \(serverSum(field))\n"
        }
        out += shared.hubMetrics.render(openProblems: hub.openProblems)
        metric("livehub_event_loops", "gauge", "Event loops (threads).", stats.count)
        out += "# HELP livehub_uptime_seconds Seconds since start.\n# TYPE livehub_uptime_seconds gauge\n"
        out += "livehub_uptime_seconds \(Double(EventLoop.now - shared.startedAt) / 1e9)\n"
        return out
    }

    /// A label value in quotes, escaped as the text format asks.
    static func quoted(_ value: String) -> String {
        var out = "\""
        for c in value {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out + "\""
    }
}
