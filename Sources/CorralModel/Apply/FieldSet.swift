/// A set of field paths, stored as a tree like structured-merge-diff's
/// `fieldpath.Set`: `members` are the paths that end at this node's direct
/// children, `children` hold the deeper paths below a child. A path is in
/// the set only when inserted; its ancestors are not implied.
public struct FieldSet: Equatable, Sendable {
    /// Direct children that are themselves in the set.
    public private(set) var members: Set<PathElement> = []
    /// Subtrees holding longer paths (never empty).
    public private(set) var children: [PathElement: FieldSet] = [:]

    public init() {}

    /// A set holding exactly these paths.
    public init(_ paths: [[PathElement]]) {
        for p in paths { insert(p) }
    }

    /// True when no path is in the set.
    public var isEmpty: Bool { members.isEmpty && children.isEmpty }

    /// Adds a path (the empty path is ignored).
    public mutating func insert(_ path: [PathElement]) {
        insert(path[...])
    }

    private mutating func insert(_ path: ArraySlice<PathElement>) {
        guard let first = path.first else { return }
        if path.count == 1 {
            members.insert(first)
        } else {
            var child = children[first] ?? FieldSet()
            child.insert(path.dropFirst())
            children[first] = child
        }
    }

    /// Whether exactly this path was inserted.
    public func contains(_ path: [PathElement]) -> Bool {
        guard let first = path.first else { return false }
        if path.count == 1 { return members.contains(first) }
        return children[first]?.contains(Array(path.dropFirst())) ?? false
    }

    /// Whether the set holds this path or any path below it.
    public func containsPrefix(_ path: [PathElement]) -> Bool {
        guard let first = path.first else { return !isEmpty }
        if path.count == 1 { return members.contains(first) || children[first] != nil }
        return children[first]?.containsPrefix(Array(path.dropFirst())) ?? false
    }

    /// The paths below `element`, relative to it (empty when there are none).
    public func child(_ element: PathElement) -> FieldSet { children[element] ?? FieldSet() }

    /// Paths in either set.
    public func union(_ other: FieldSet) -> FieldSet {
        var out = self
        out.members.formUnion(other.members)
        for (pe, sub) in other.children {
            out.children[pe] = (out.children[pe] ?? FieldSet()).union(sub)
        }
        return out
    }

    /// Paths in this set but not in `other` (exact paths; descendants of a removed path stay).
    public func difference(_ other: FieldSet) -> FieldSet {
        var out = FieldSet()
        out.members = members.subtracting(other.members)
        for (pe, sub) in children {
            let d = other.children[pe].map { sub.difference($0) } ?? sub
            if !d.isEmpty { out.children[pe] = d }
        }
        return out
    }

    /// Paths in both sets.
    public func intersection(_ other: FieldSet) -> FieldSet {
        var out = FieldSet()
        out.members = members.intersection(other.members)
        for (pe, sub) in children {
            if let o = other.children[pe] {
                let i = sub.intersection(o)
                if !i.isEmpty { out.children[pe] = i }
            }
        }
        return out
    }

    /// Removes `path` and everything below it.
    public func removingSubtree(_ path: [PathElement]) -> FieldSet {
        guard let first = path.first else { return FieldSet() }
        var out = self
        if path.count == 1 {
            out.members.remove(first)
            out.children[first] = nil
        } else if let sub = children[first] {
            let r = sub.removingSubtree(Array(path.dropFirst()))
            out.children[first] = r.isEmpty ? nil : r
        }
        return out
    }

    /// Every path in the set, in structured-merge-diff's iteration order:
    /// this node's members (sorted), then each child's paths (sorted by element).
    public var paths: [[PathElement]] {
        var out: [[PathElement]] = members.sorted().map { [$0] }
        for pe in children.keys.sorted() {
            out += children[pe]!.paths.map { [pe] + $0 }
        }
        return out
    }

    /// Every node of the tree (members and intermediate elements) as a path, parents first.
    public var allNodes: [[PathElement]] {
        var out: [[PathElement]] = []
        for pe in Set(members).union(children.keys).sorted() {
            out.append([pe])
            if let sub = children[pe] { out += sub.allNodes.map { [pe] + $0 } }
        }
        return out
    }

    /// Number of paths in the set.
    public var count: Int { members.count + children.values.reduce(0) { $0 + $1.count } }
}
