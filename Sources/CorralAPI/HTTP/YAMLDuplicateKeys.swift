import CorralModel
import Foundation
import Yams

/// Duplicate mapping keys of a YAML (or JSON) document, worded as the YAML
/// library kube-apiserver uses words them: `line 4: key "name" already set in map`.
enum YAMLDuplicateKeys {
    static func find(_ body: [UInt8]) -> [String] {
        guard let node = try? Yams.compose(yaml: String(decoding: body, as: UTF8.self)) else { return [] }
        var out: [String] = []
        walk(node, depth: 0, &out)
        return out
    }

    private static func walk(_ node: Node, depth: Int, _ out: inout [String]) {
        guard depth < JSONParser.defaultMaxDepth else { return }
        switch node {
        case .mapping(let m):
            var seen = Set<String>()
            for (k, v) in m {
                if case .scalar(let s) = k, !seen.insert(s.string).inserted {
                    out.append("line \(k.mark?.line ?? 0): key \"\(s.string)\" already set in map")
                }
                walk(v, depth: depth + 1, &out)
            }
        case .sequence(let seq):
            for v in seq { walk(v, depth: depth + 1, &out) }
        default:
            break
        }
    }
}
