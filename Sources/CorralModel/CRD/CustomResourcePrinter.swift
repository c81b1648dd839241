import Foundation

/// Table printing of custom resources (their CRD's additionalPrinterColumns)
/// and of CustomResourceDefinitions themselves (NAME, CREATED AT).
extension TablePrinter {
    /// The printer for a custom resource version: Name, then each declared column.
    static func customResourcePrinter(_ custom: CustomResourceVersion) -> Printer {
        let columns = custom.printerColumns
        let paths = columns.map { PrinterJSONPath($0.jsonPath) }
        let defs = [nameColumn] + columns.map {
            Column($0.name, $0.type, format: $0.format, priority: $0.priority,
                   $0.description.isEmpty ? "Custom resource definition column (in JSONPath format): \($0.jsonPath)" : $0.description)
        }
        return Printer(columns: defs) { obj, now in
            var cells: [JSONValue] = [.string(name(obj))]
            for (i, c) in columns.enumerated() {
                cells.append(crdCell(c.type, paths[i]?.evaluate(obj).first, now))
            }
            return cells
        }
    }

    /// `kubectl get crd`: the name and the creation time as RFC 3339.
    static let crdPrinters: [String: Printer] = [
        CRDServing.crdStorageKey: Printer(columns: [nameColumn, Column("Created At", "date", creationTimestampDescription)]) { obj, _ in
            [.string(name(obj)), obj[path: ["metadata", "creationTimestamp"]] ?? .null]
        },
    ]
}
