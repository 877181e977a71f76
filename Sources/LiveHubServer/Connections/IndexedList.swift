/// A list of objects that each remember their own position, so removal is O(1) (the last
/// element moves into the hole). Used for a loop's connections and a room's members,
/// which join and leave all the time.
struct IndexedList<Element: AnyObject> {
    private(set) var elements: [Element] = []
    /// Where each element keeps its position (-1: not in the list).
    private let position: ReferenceWritableKeyPath<Element, Int>

    init(position: ReferenceWritableKeyPath<Element, Int>) {
        self.position = position
    }

    var count: Int { elements.count }
    var isEmpty: Bool { elements.isEmpty }

    subscript(index: Int) -> Element { elements[index] }

    mutating func append(_ element: Element) {
        guard element[keyPath: position] < 0 else { return }
        element[keyPath: position] = elements.count
        elements.append(element)
    }

    mutating func remove(_ element: Element) {
        let index = element[keyPath: position]
        guard index >= 0, index < elements.count, elements[index] === element else { return }
        let last = elements.removeLast()
        if index < elements.count {
            elements[index] = last
            last[keyPath: position] = index
        }
        element[keyPath: position] = -1
    }

    /// Puts `new` in `old`'s place (or at the end if `old` is not here).
    mutating func replace(_ old: Element, with new: Element) {
        let index = old[keyPath: position]
        guard index >= 0, index < elements.count, elements[index] === old else { return append(new) }
        elements[index] = new
        new[keyPath: position] = index
        old[keyPath: position] = -1
    }
}
