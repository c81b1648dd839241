import Foundation

/// The field schemas of every served kind, from the generated table in
/// `SchemaData.swift`. Lines are indexed once; a definition is parsed the
/// first time it is asked for. Safe to use from any thread.
public final class SchemaCatalog: @unchecked Sendable {
    /// The catalog of the built-in table.
    public static let shared = SchemaCatalog(source: SchemaCatalog.source + "\n" + SchemaCatalog.apiExtensionsSource)

    private var raw: [String: Substring] = [:]
    private var kinds: [String: String] = [:]
    private var parsed: [String: SchemaNode] = [:]
    /// Names added at run time with `register`.
    private var dynamic = Set<String>()
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

    /// Every definition name in the table (and added at run time).
    public var definitionNames: [String] {
        lock.lock()
        defer { lock.unlock() }
        return Array(Set(raw.keys).union(dynamic)).sorted()
    }

    /// The definition name that describes group/version/kind, e.g. io.k8s.api.core.v1.Pod.
    public func definitionName(group: String, version: String, kind: String) -> String? {
        lock.lock()
        defer { lock.unlock() }
        return kinds[Self.key(group, version, kind)]
    }

    /// Adds definitions at run time (custom resources' schemas), replacing ones
    /// of the same name, and maps each (group, version, kind) to its definition.
    public func register(definitions: [String: SchemaNode], kinds newKinds: [(group: String, version: String, kind: String, definition: String)]) {
        lock.lock()
        defer { lock.unlock() }
        for (name, node) in definitions {
            parsed[name] = node
            dynamic.insert(name)
        }
        for k in newKinds { kinds[Self.key(k.group, k.version, k.kind)] = k.definition }
    }

    /// Removes definitions and kinds added with `register`; built-in ones stay.
    public func unregister(definitions names: [String], kinds gone: [(group: String, version: String, kind: String)]) {
        lock.lock()
        defer { lock.unlock() }
        for k in gone where kinds[Self.key(k.group, k.version, k.kind)].map(dynamic.contains) ?? true {
            kinds[Self.key(k.group, k.version, k.kind)] = nil
        }
        for name in names where dynamic.contains(name) {
            parsed[name] = nil
            dynamic.remove(name)
        }
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
