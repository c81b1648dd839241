import CorralModel
/// Guest memory size (`spec.domain.memory.guest`, else resources) and hugepages backing.
struct MemoryConfigurator {
    /// Below this a Linux guest cannot even decompress its kernel.
    static let minimumBytes: Int64 = 1 << 20

    struct Result {
        var kib: Int64
        var backing: XMLElement?
        var notes: [String]
    }

    static func configure(domain: SpecNode) throws -> Result {
        var notes: [String] = []
        let candidates = [domain["memory"]["guest"], domain["resources"]["requests"]["memory"], domain["resources"]["limits"]["memory"]]
        guard let node = candidates.first(where: { $0.exists }) else {
            throw domain["resources"]["requests"]["memory"].invalid(
                "no guest memory given: set spec.domain.memory.guest or spec.domain.resources.requests.memory")
        }
        let bytes = try quantity(node)
        guard bytes >= minimumBytes else { throw node.invalid("guest memory must be at least 1Mi") }
        let kib = (bytes + 1023) / 1024
        if domain["memory"]["maxGuest"].exists { notes.append("spec.domain.memory.maxGuest ignored: no memory hotplug") }

        var backing: XMLElement?
        let pageSizeNode = domain["memory"]["hugepages"]["pageSize"]
        if pageSizeNode.exists {
            let pageBytes = try quantity(pageSizeNode)
            guard pageBytes == 2 << 20 || pageBytes == 1 << 30 else { throw pageSizeNode.invalid("must be 2Mi or 1Gi") }
            let pageKiB = pageBytes / 1024
            guard kib % pageKiB == 0 else {
                throw node.invalid("guest memory (\(kib) KiB) is not a multiple of the hugepage size \(pageKiB) KiB")
            }
            backing = XMLElement("memoryBacking", elements: [
                XMLElement("hugepages", elements: [XMLElement("page", [("size", String(pageKiB)), ("unit", "KiB")])]),
            ])
        }
        return Result(kib: kib, backing: backing, notes: notes)
    }

    static func quantity(_ node: SpecNode) throws -> Int64 {
        let text: String
        if let i = node.value?.intValue { text = String(i) } else { text = try node.string() ?? "" }
        guard let v = wholeUnits(text) else { throw node.invalid("\"\(text)\" is not a quantity") }
        return v
    }

    /// A quantity in whole units, rounded up ("64Mi" → 67108864, "500m" → 1); nil when
    /// malformed, negative or too large. Parsing is the model's `ResourceQuantity`.
    static func wholeUnits(_ text: String) -> Int64? {
        guard let v = ResourceQuantity.parse(text), v.isFinite, v >= 0, v < 9.2e18 else { return nil }
        return Int64(v.rounded(.up))
    }
}
