/// Turns a CustomResourceDefinition into the `ResourceType`s the server
/// registers for it: one per served version, named by the accepted names,
/// in kube's version priority order (so discovery prefers v1 over v1beta1).
public enum CRDServing {
    /// Storage key of the CRD type itself.
    public static let crdStorageKey = "customresourcedefinitions.apiextensions.k8s.io"
    /// The finalizer kube-apiserver puts on a CRD being deleted until its objects are gone.
    public static let cleanupFinalizer = "customresourcecleanup.apiextensions.k8s.io"

    /// The types to serve for `crd` under `names` (its accepted names).
    public static func resourceTypes(_ crd: CRDView, names: CRDView.Names) -> [ResourceType] {
        guard !names.plural.isEmpty, !names.kind.isEmpty, let storage = crd.storageVersion else { return [] }
        let fingerprint = "\(crd.uid)/\(crd.generation)/\(crd.deleting)"
        let served = crd.versions.filter(\.served).sorted { versionPriority($0.name, $1.name) }
        return served.map { v in
            var subs: [String] = []
            if v.statusSubresource { subs.append("status") }
            if v.scale != nil { subs.append("scale") }
            let custom = CustomResourceVersion(crdName: crd.name, schema: v.schema,
                                               printerColumns: v.printerColumns.isEmpty ? [defaultAgeColumn] : v.printerColumns,
                                               scale: v.scale, storageVersion: storage, terminating: crd.deleting,
                                               fingerprint: fingerprint)
            return ResourceType(group: crd.group, version: v.name, kind: names.kind, resource: names.plural,
                                namespaced: crd.namespaced, shortNames: names.shortNames, categories: names.categories,
                                subresources: subs, singular: names.singular.isEmpty ? nil : names.singular,
                                listKind: names.listKind.isEmpty ? nil : names.listKind, custom: custom)
        }
    }

    /// The column kube-apiserver serves for a CRD version that declares none.
    public static let defaultAgeColumn = PrinterColumn(name: "Age", type: "date", description: TablePrinter.creationTimestampDescription,
                                                       jsonPath: ".metadata.creationTimestamp")

    /// True when version `a` sorts before `b` in kube's order: GA before beta
    /// before alpha before anything else; higher major, then higher minor
    /// first; non-kube-like names alphabetically last.
    public static func versionPriority(_ a: String, _ b: String) -> Bool {
        let pa = parse(a), pb = parse(b)
        switch (pa, pb) {
        case (nil, nil): return a < b
        case (nil, _): return false
        case (_, nil): return true
        case let (x?, y?):
            if x.stage != y.stage { return x.stage > y.stage }
            if x.major != y.major { return x.major > y.major }
            return x.minor > y.minor
        }
    }

    /// (stage, major, minor) of "v2beta3": stage 3 = GA, 2 = beta, 1 = alpha.
    private static func parse(_ v: String) -> (stage: Int, major: Int, minor: Int)? {
        guard v.hasPrefix("v") else { return nil }
        let rest = v.dropFirst()
        let digits = rest.prefix { $0.isNumber }
        guard let major = Int(digits), major > 0, !digits.hasPrefix("0") else { return nil }
        let tail = rest.dropFirst(digits.count)
        if tail.isEmpty { return (3, major, 0) }
        for (word, stage) in [("beta", 2), ("alpha", 1)] where tail.hasPrefix(word) {
            let n = tail.dropFirst(word.count)
            guard let minor = Int(n), minor > 0, !n.hasPrefix("0") else { return nil }
            return (stage, major, minor)
        }
        return nil
    }
}
