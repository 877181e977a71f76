import Hub

/// The goals and custom funnels a shop defines (migration 17). A funnel's steps are kept as
/// lines of tab-separated fields (`page`, type, identifier or `event`, name): names hold no
/// control characters (the edge refuses them), so the text reads back exactly.
extension RecordsStore {
    public struct Goal: Sendable, Equatable {
        public enum Kind: String, Sendable { case event, pageType = "page_type" }
        public var name: String
        public var kind: Kind
        public var target: String

        public init(name: String, kind: Kind, target: String) {
            self.name = name
            self.kind = kind
            self.target = target
        }
    }

    public static let maxGoals = 50

    public func goals() throws(Failure) -> [Goal] {
        try db.query("SELECT name, kind, target FROM goals ORDER BY name LIMIT \(Self.maxGoals)", []).compactMap { row in
            guard let name = row[0].text, let kind = row[1].text.flatMap(Goal.Kind.init(rawValue:)), let target = row[2].text else { return nil }
            return Goal(name: name, kind: kind, target: target)
        }
    }

    /// Adds or replaces a goal; false when there are `maxGoals` others already.
    public func saveGoal(_ goal: Goal, now: Int64) throws(Failure) -> Bool {
        let others = try db.query("SELECT count(*) FROM goals WHERE name <> $1", [.text(goal.name)]).first?.first?.integer ?? 0
        guard others < Self.maxGoals else { return false }
        try db.query("""
            INSERT INTO goals (name, kind, target, created_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, target = excluded.target
            """, [.text(goal.name), .text(goal.kind.rawValue), .text(goal.target), Self.time(now)])
        return true
    }

    /// Whether there was one.
    public func deleteGoal(_ name: String) throws(Failure) -> Bool {
        try db.query("DELETE FROM goals WHERE name = $1", [.text(name)])
        return db.changes > 0
    }

    public func customFunnels() throws(Failure) -> [CustomFunnel] {
        try db.query("SELECT id, name, steps FROM funnels ORDER BY id LIMIT \(CustomFunnel.maxFunnels)", []).compactMap { row in
            guard let id = row[0].text, let name = row[1].text, let steps = row[2].text else { return nil }
            return CustomFunnel(id: id, name: name, steps: Self.steps(from: steps))
        }
    }

    /// Adds or replaces a funnel; false when there are `CustomFunnel.maxFunnels` others already.
    public func saveFunnel(_ funnel: CustomFunnel, now: Int64) throws(Failure) -> Bool {
        let others = try db.query("SELECT count(*) FROM funnels WHERE id <> $1", [.text(funnel.id)]).first?.first?.integer ?? 0
        guard others < CustomFunnel.maxFunnels else { return false }
        try db.query("""
            INSERT INTO funnels (id, name, steps, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, steps = excluded.steps, updated_at = excluded.updated_at
            """, [.text(funnel.id), .text(funnel.name), .text(Self.text(of: funnel.steps)), Self.time(now)])
        return true
    }

    public func deleteFunnel(_ id: String) throws(Failure) -> Bool {
        try db.query("DELETE FROM funnels WHERE id = $1", [.text(id)])
        return db.changes > 0
    }

    static func text(of steps: [CustomFunnel.Step]) -> String {
        steps.map { step in
            switch step {
            case .page(let type, let identifier): "page\t\(type.rawValue)\t\(identifier ?? "")"
            case .event(let name): "event\t\(name)"
            }
        }.joined(separator: "\n")
    }

    static func steps(from text: String) -> [CustomFunnel.Step] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            switch fields.first {
            case "page" where fields.count == 3: return .page(type: PageType(rawValue: fields[1]), identifier: fields[2].isEmpty ? nil : fields[2])
            case "event" where fields.count == 2: return .event(name: fields[1])
            default: return nil
            }
        }
    }
}
