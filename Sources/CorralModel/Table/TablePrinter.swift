import Foundation

/// Renders objects as a `meta.k8s.io/v1` Table, the form kubectl asks for with
/// `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`. Columns and cells
/// follow kube-apiserver's printers (pkg/printers/internalversion) and, for
/// KubeVirt/CDI types, their CRDs' additionalPrinterColumns.
public enum TablePrinter {
    /// One `columnDefinitions[]` entry.
    public struct Column: Equatable, Sendable {
        /// Column title as kube-apiserver names it ("Name", "Nominated Node"); kubectl upper-cases it.
        public var name: String
        /// "string", "integer", "number", "boolean" or "date".
        public var type: String
        /// "name" for the object-name column, else "".
        public var format: String
        /// Help text (kube-apiserver uses the field's API doc).
        public var description: String
        /// 0 = always shown; 1 = shown with `-o wide`.
        public var priority: Int

        /// A "string" column.
        public init(_ name: String, format: String = "", priority: Int = 0, _ description: String) {
            self.init(name, "string", format: format, priority: priority, description)
        }

        /// A column of any `type`.
        public init(_ name: String, _ type: String, format: String = "", priority: Int = 0, _ description: String) {
            self.name = name
            self.type = type
            self.format = format
            self.description = description
            self.priority = priority
        }

        /// The JSON form, every field present as kube-apiserver writes it.
        public var json: JSONValue {
            ["name": .string(name), "type": .string(type), "format": .string(format),
             "description": .string(description), "priority": .int(Int64(priority))]
        }
    }

    /// How one resource type prints: its columns and a function from an object to its cells.
    struct Printer: Sendable {
        var columns: [Column]
        var cells: @Sendable (JSONValue, Date) -> [JSONValue]
        /// `rows[].conditions`, when the type reports any (pods: Completed).
        var conditions: (@Sendable (JSONValue) -> JSONValue?)? = nil
    }

    /// Printers by `ResourceType.storageKey`; each file adds its own types.
    static let printers: [String: Printer] = {
        var all: [String: Printer] = [:]
        for group in [corePrinters, workloadPrinters, clusterPrinters, kubeVirtPrinters, crdPrinters] {
            all.merge(group) { a, _ in a }
        }
        return all
    }()

    /// The printer for `type`: its CRD's columns, a specific one, else NAME and AGE.
    static func printer(for type: ResourceType) -> Printer {
        if let custom = type.custom { return customResourcePrinter(custom) }
        return printers[type.storageKey] ?? Printer(columns: [nameColumn, ageColumn]) { obj, now in
            [.string(name(obj)), .string(age(obj, now))]
        }
    }

    /// The Table for `objects` of `type`. `includeObject` is the request's
    /// `includeObject` ("None", "Object", otherwise "Metadata", the default);
    /// `listMeta` becomes the table's `metadata` (resourceVersion, continue, ...).
    public static func table(type: ResourceType, objects: [JSONValue], now: Date, includeObject: String,
                             listMeta: JSONValue?) -> JSONValue {
        let p = printer(for: type)
        var rows: [JSONValue] = []
        rows.reserveCapacity(objects.count)
        for obj in objects {
            var row = JSONObject()
            row["cells"] = .array(p.cells(obj, now))
            if let conds = p.conditions?(obj) { row["conditions"] = conds }
            switch includeObject {
            case "None":
                break
            case "Object":
                row["object"] = obj
            default:
                row["object"] = partialObjectMetadata(obj)
            }
            rows.append(.object(row))
        }
        var table = JSONObject()
        table["kind"] = "Table"
        table["apiVersion"] = "meta.k8s.io/v1"
        table["metadata"] = listMeta?.objectValue.map { JSONValue.object($0) } ?? .object(JSONObject())
        table["columnDefinitions"] = .array(p.columns.map(\.json))
        table["rows"] = .array(rows)
        return .object(table)
    }

    /// The column definitions kube-apiserver would send for `type`.
    public static func columns(for type: ResourceType) -> [Column] {
        printer(for: type).columns
    }

    /// One object's cells, in column order.
    public static func cells(for object: JSONValue, type: ResourceType, now: Date) -> [JSONValue] {
        printer(for: type).cells(object, now)
    }

    /// `{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":...}`.
    public static func partialObjectMetadata(_ obj: JSONValue) -> JSONValue {
        ["kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
         "metadata": obj["metadata"] ?? .object(JSONObject())]
    }
}
