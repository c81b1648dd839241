import Foundation

/// The field schemas of every served kind, from the generated table in
/// `SchemaData.swift`. Lines are indexed once; a definition is parsed the
/// first time it is asked for. Safe to use from any thread.
public final class SchemaCatalog: @unchecked Sendable {
    /// The catalog of the built-in table.
    public static let shared = SchemaCatalog(source: SchemaCatalog.source)

    private var raw: [String: Substring] = [:]
    private var kinds: [String: String] = [:]
    private var parsed: [String: SchemaNode] = [:]
    private let lock = NSLock()

    /// Indexes a table in the generator's line format (`K`/`D` lines).
    public init(source: String) {
        for line in source.split(separator: "\n", omittingEmptySubsequences: true) {
            let parts = line.split(separator: "\t", maxSplits: line.hasPrefix("K") ? 4 : 2, omittingEmptySubsequences: false)
            if parts.first == "K", parts.count == 5 {
                kinds[Self.key(String(parts[1]), String(parts[2]), String(parts[3]))] = String(parts[4])
            } else if parts.first == "D", parts.count == 3 {
                raw[String(parts[1])] = parts[2]
            }
        }
    }

    private static func key(_ group: String, _ version: String, _ kind: String) -> String { "\(group)/\(version)/\(kind)" }

    /// Every definition name in the table.
    public var definitionNames: [String] { raw.keys.sorted() }

    /// The definition name that describes group/version/kind, e.g. io.k8s.api.core.v1.Pod.
    public func definitionName(group: String, version: String, kind: String) -> String? {
        kinds[Self.key(group, version, kind)]
    }

    /// The definition `name`, parsed.
    public func definition(_ name: String) -> SchemaNode? {
        lock.lock()
        defer { lock.unlock() }
        if let n = parsed[name] { return n }
        guard let text = raw[name], let v = try? JSONParser.parse(Array(text.utf8)) else { return nil }
        let node = SchemaNode(v)
        parsed[name] = node
        return node
    }

    /// The schema of a kind's objects, if the table has it.
    public func schema(group: String, version: String, kind: String) -> SchemaNode? {
        definitionName(group: group, version: version, kind: kind).flatMap(definition)
    }

    /// Follows `ref`s until a node that describes the value itself. The
    /// property's own description is lost; callers that need it read it first.
    public func resolve(_ node: SchemaNode) -> SchemaNode {
        var cur = node
        var hops = 0
        while let r = cur.ref, let next = definition(r), hops < 16 {
            cur = next
            hops += 1
        }
        return cur
    }

    /// `names` and every definition they reach through references, sorted.
    public func closure(of names: [String]) -> [String] {
        var seen = Set<String>()
        var stack = names
        while let n = stack.popLast() {
            guard !seen.contains(n), let node = definition(n) else { continue }
            seen.insert(n)
            Self.references(of: node, into: &stack)
        }
        return seen.sorted()
    }

    private static func references(of node: SchemaNode, into out: inout [String]) {
        if let r = node.ref { out.append(r) }
        for p in node.properties { references(of: p.node, into: &out) }
        if let i = node.items { references(of: i, into: &out) }
        if let a = node.additionalProperties { references(of: a, into: &out) }
        for o in node.oneOf { references(of: o, into: &out) }
    }
}
