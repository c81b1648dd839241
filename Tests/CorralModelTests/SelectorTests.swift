import XCTest
@testable import CorralModel

final class LabelSelectorTests: XCTestCase {
    private let nameRegexTail = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
    private let valueRegexTail = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"

    func testParsesToCanonicalForm() throws {
        let cases: [(String, String)] = [
            ("", ""),
            ("   ", ""),
            ("a=b", "a=b"),
            ("a==b", "a==b"),
            ("a!=b", "a!=b"),
            ("a in (x,y)", "a in (x,y)"),
            ("a in (y, x, y)", "a in (x,y)"),
            ("a notin (x, y)", "a notin (x,y)"),
            ("a", "a"),
            ("!a", "!a"),
            (" ! a ", "!a"),
            ("  b = 1 ,  a  ", "a,b=1"),
            ("x in (foo,,baz),y,z notin ()", "x in (,baz,foo),y,z notin ()"),
            ("a in (,)", "a in ()"),
            ("a=", "a="),
            ("a=,b", "a=,b"),
            ("example.com/app=web", "example.com/app=web"),
            ("a>1,b<5", "a>1,b<5"),
            ("in=notin", "in=notin"),
            ("a in (in,notin)", "a in (in,notin)"),
            ("a\t=\nb", "a=b"),
            ("!a,!b", "!a,!b"),
        ]
        for (input, canonical) in cases {
            XCTAssertEqual(try LabelSelector.parse(input).description, canonical, "input: \(input)")
        }
    }

    func testParseErrorsAreWordedLikeKubeAPIServer() {
        let long = String(repeating: "a", count: 64)
        let cases: [(String, String)] = [
            ("a=b,", "found '', expected: identifier after ','"),
            (",", "found ',', expected: !, identifier, or 'end of string'"),
            ("=a", "found '=', expected: !, identifier, or 'end of string'"),
            ("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"),
            ("a in x", "unable to parse requirement: found 'x' expected: '('"),
            ("a in (x", "unable to parse requirement: found '', expected: ',' or ')'"),
            ("a in (x y)", "unable to parse requirement: found 'y', expected: ',' or ')'"),
            ("a in", "unable to parse requirement: found '' expected: '('"),
            ("a in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier"),
            ("a in (x,=)", "unable to parse requirement: found '=', expected: ',', or identifier"),
            ("a=(", "unable to parse requirement: found '(', expected: identifier"),
            ("!", "unable to parse requirement: found '', expected: identifier"),
            ("! =a", "unable to parse requirement: found '=', expected: identifier"),
            ("!=a", "found '!=', expected: !, identifier, or 'end of string'"),
            ("a=b c", "found 'c', expected: ',' or 'end of string'"),
            ("!a=b", "found '=', expected: ',' or 'end of string'"),
            ("a=b)", "found ')', expected: ',' or 'end of string'"),
            ("Foo_=b", "unable to parse requirement: <nil>: Invalid value: \"Foo_\": " + nameRegexTail),
            ("\(long)=b", "unable to parse requirement: <nil>: Invalid value: \"\(long)\": name part must be no more than 63 characters"),
            ("a/b/c=d", "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"),
            ("/a=b", "unable to parse requirement: <nil>: Invalid value: \"/a\": prefix part must be non-empty"),
            ("Example.com/a", "unable to parse requirement: <nil>: Invalid value: \"Example.com/a\": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"),
            ("a=b_", "unable to parse requirement: values[0][a]: Invalid value: \"b_\": " + valueRegexTail),
            ("a in (ok,-bad)", "unable to parse requirement: values[0][a]: Invalid value: \"-bad\": " + valueRegexTail),
            ("a=\(long)", "unable to parse requirement: values[0][a]: Invalid value: \"\(long)\": must be no more than 63 characters"),
            ("a>x", "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer"),
        ]
        for (input, message) in cases {
            XCTAssertThrowsError(try LabelSelector.parse(input), "input: \(input)") { error in
                guard let e = error as? SelectorError else { return XCTFail("not a SelectorError: \(error)") }
                XCTAssertEqual(e.kind, .invalidLabelSelector, "input: \(input)")
                XCTAssertEqual(e.message, message, "input: \(input)")
            }
        }
    }

    func testMatching() throws {
        let labels = ["app": "web", "tier": "front", "n": "10", "example.com/team": "a"]
        let cases: [(String, Bool)] = [
            ("", true),
            ("app=web", true),
            ("app==web", true),
            ("app=db", false),
            ("app!=db", true),
            ("app!=web", false),
            ("missing!=x", true),
            ("app in (web,db)", true),
            ("app in (db)", false),
            ("missing in (x)", false),
            ("app notin (db)", true),
            ("app notin (web)", false),
            ("missing notin (x)", true),
            ("app", true),
            ("missing", false),
            ("!missing", true),
            ("!app", false),
            ("app=web,tier=front", true),
            ("app=web,tier=back", false),
            ("n>5", true),
            ("n>10", false),
            ("n<11", true),
            ("app>1", false),
            ("missing<1", false),
            ("example.com/team=a", true),
            ("tier=", false),
            ("missing=", false),
        ]
        for (selector, expected) in cases {
            XCTAssertEqual(try LabelSelector.parse(selector).matches(labels), expected, "selector: \(selector)")
        }
        XCTAssertTrue(try LabelSelector.parse("e=").matches(["e": ""]))
        XCTAssertTrue(try LabelSelector.parse("").isEmpty)
        XCTAssertFalse(try LabelSelector.parse("a").isEmpty)
    }

    func testFromMetaV1LabelSelector() throws {
        let json: JSONValue = [
            "matchLabels": ["app": "web"],
            "matchExpressions": [
                ["key": "tier", "operator": "In", "values": ["front", "edge"]],
                ["key": "env", "operator": "NotIn", "values": ["prod"]],
                ["key": "owner", "operator": "Exists"],
                ["key": "legacy", "operator": "DoesNotExist"],
            ],
        ]
        let s = try LabelSelector(json: json)
        XCTAssertEqual(s.description, "app=web,env notin (prod),!legacy,owner,tier in (edge,front)")
        let cases: [([String: String], Bool)] = [
            (["app": "web", "tier": "front", "owner": "me"], true),
            (["app": "web", "tier": "edge", "owner": "me", "env": "dev"], true),
            (["app": "web", "tier": "front", "owner": "me", "env": "prod"], false),
            (["app": "web", "tier": "front"], false),
            (["app": "web", "tier": "front", "owner": "me", "legacy": "1"], false),
            (["app": "db", "tier": "front", "owner": "me"], false),
        ]
        for (labels, expected) in cases {
            XCTAssertEqual(s.matches(labels), expected, "labels: \(labels)")
        }

        XCTAssertTrue(try LabelSelector(json: [:]).matches([:]))
        XCTAssertTrue(try LabelSelector(json: [:]).isEmpty)
        let nothing = try LabelSelector(json: nil)
        XCTAssertFalse(nothing.matches([:]))
        XCTAssertTrue(nothing.matchesNothing)
        XCTAssertFalse(nothing.isEmpty)
    }

    func testMetaV1LabelSelectorErrors() {
        let cases: [(JSONValue, String)] = [
            (["matchExpressions": [["key": "a", "operator": "Foo"]]], "\"Foo\" is not a valid label selector operator"),
            (["matchExpressions": [["key": "a", "operator": "In", "values": []]]],
             "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty"),
            (["matchExpressions": [["key": "a", "operator": "Exists", "values": ["x"]]]],
             "values: Invalid value: [\"x\"]: values set must be empty for exists and does not exist"),
            (["matchLabels": ["a_": "b"]], "key: Invalid value: \"a_\": " + nameRegexTail),
            (["matchLabels": ["a": "b_"]], "values[0][a]: Invalid value: \"b_\": " + valueRegexTail),
        ]
        for (json, message) in cases {
            XCTAssertThrowsError(try LabelSelector(json: json), "json: \(json.jsonString())") { error in
                XCTAssertEqual((error as? SelectorError)?.message, message)
            }
        }
    }

    func testLabelsOfObject() {
        let obj: JSONValue = ["metadata": ["name": "x", "labels": ["a": "1", "b": "2"]]]
        XCTAssertEqual(LabelSelector.labels(of: obj), ["a": "1", "b": "2"])
        XCTAssertEqual(LabelSelector.labels(of: ["metadata": ["name": "x"]]), [:])
        XCTAssertTrue(try LabelSelector.parse("a=1").matches(object: obj))
    }
}

final class FieldSelectorTests: XCTestCase {
    private let registry = ResourceRegistry.builtins()

    private func type(_ group: String, _ resource: String) -> ResourceType {
        registry.types.first { $0.group == group && $0.resource == resource }!
    }

    func testParse() throws {
        let cases: [(String, [String])] = [
            ("", []),
            ("a=b", ["a=b"]),
            ("a==b", ["a=b"]),
            ("a!=b", ["a!=b"]),
            ("z=1,a!=2", ["a!=2", "z=1"]),
            ("a=b,,c=d", ["a=b", "c=d"]),
            ("a=", ["a="]),
            (#"a=x\,y"#, ["a=x,y"]),
            (#"a=x\=y"#, ["a=x=y"]),
            (#"a=x\\y"#, [#"a=x\y"#]),
        ]
        for (input, terms) in cases {
            let s = try FieldSelector.parse(input)
            XCTAssertEqual(s.requirements.map { "\($0.field)\($0.op)\($0.value)" }, terms, "input: \(input)")
        }
        XCTAssertTrue(try FieldSelector.parse("").isEmpty)
        XCTAssertEqual(try FieldSelector.parse(#"b=x\,y,a=1"#).description, #"a=1,b=x\,y"#)
    }

    func testParseErrors() {
        let cases: [(String, String)] = [
            ("abc", "invalid selector: 'abc'; can't understand 'abc'"),
            ("a=b,c", "invalid selector: 'a=b,c'; can't understand 'c'"),
            ("a=b=c", "invalid field selector: unescaped character in value: 61"),
            ("a==b=c", "invalid field selector: unescaped character in value: 61"),
            (#"a=b\x"#, #"invalid field selector: invalid escape sequence: \x"#),
            (#"a=b\"#, #"invalid field selector: invalid escape sequence: \"#),
        ]
        for (input, message) in cases {
            XCTAssertThrowsError(try FieldSelector.parse(input), "input: \(input)") { error in
                XCTAssertEqual((error as? SelectorError)?.kind, .invalidFieldSelector)
                XCTAssertEqual((error as? SelectorError)?.message, message, "input: \(input)")
            }
        }
    }

    func testMatchesWithLookup() throws {
        let values = ["status.phase": "Running", "spec.nodeName": "n1"]
        let cases: [(String, Bool)] = [
            ("status.phase=Running", true),
            ("status.phase==Running", true),
            ("status.phase!=Running", false),
            ("status.phase=Pending", false),
            ("status.phase=Running,spec.nodeName=n1", true),
            ("status.phase=Running,spec.nodeName!=n1", false),
            ("other=", true),
            ("other!=", false),
        ]
        for (selector, expected) in cases {
            XCTAssertEqual(try FieldSelector.parse(selector).matches { values[$0] }, expected, "selector: \(selector)")
        }
    }

    func testEveryFieldSelectorPath() {
        let pod: JSONValue = [
            "metadata": ["name": "p", "namespace": "ns"],
            "spec": ["nodeName": "node1", "restartPolicy": "Always", "schedulerName": "default-scheduler",
                     "serviceAccountName": "sa", "hostNetwork": true],
            "status": ["phase": "Running", "podIP": "10.42.0.9", "podIPs": [["ip": "10.42.0.5"]], "nominatedNodeName": "node2"],
        ]
        let bare: JSONValue = ["metadata": ["name": "bare"]]
        let event: JSONValue = [
            "metadata": ["name": "e", "namespace": "ns"],
            "involvedObject": ["kind": "Pod", "namespace": "ns", "name": "p", "uid": "u-1", "apiVersion": "v1",
                               "resourceVersion": "42", "fieldPath": "spec.containers{c}"],
            "reason": "Started", "reportingComponent": "kubelet", "source": ["component": "kubelet", "host": "h"], "type": "Normal",
        ]
        let cases: [(ResourceType, String, JSONValue, String)] = [
            (type("", "pods"), "metadata.name", pod, "p"),
            (type("", "pods"), "metadata.namespace", pod, "ns"),
            (type("", "pods"), "spec.nodeName", pod, "node1"),
            (type("", "pods"), "spec.host", pod, "node1"),
            (type("", "pods"), "spec.restartPolicy", pod, "Always"),
            (type("", "pods"), "spec.schedulerName", pod, "default-scheduler"),
            (type("", "pods"), "spec.serviceAccountName", pod, "sa"),
            (type("", "pods"), "spec.hostNetwork", pod, "true"),
            (type("", "pods"), "status.phase", pod, "Running"),
            (type("", "pods"), "status.podIP", pod, "10.42.0.5"),
            (type("", "pods"), "status.nominatedNodeName", pod, "node2"),
            (type("", "pods"), "spec.nodeName", bare, ""),
            (type("", "pods"), "spec.hostNetwork", bare, "false"),
            (type("", "pods"), "status.podIP", ["status": ["podIP": "10.1.1.1"]], "10.1.1.1"),
            (type("", "events"), "metadata.name", event, "e"),
            (type("", "events"), "metadata.namespace", event, "ns"),
            (type("", "events"), "involvedObject.kind", event, "Pod"),
            (type("", "events"), "involvedObject.namespace", event, "ns"),
            (type("", "events"), "involvedObject.name", event, "p"),
            (type("", "events"), "involvedObject.uid", event, "u-1"),
            (type("", "events"), "involvedObject.apiVersion", event, "v1"),
            (type("", "events"), "involvedObject.resourceVersion", event, "42"),
            (type("", "events"), "involvedObject.fieldPath", event, "spec.containers{c}"),
            (type("", "events"), "reason", event, "Started"),
            (type("", "events"), "reportingComponent", event, "kubelet"),
            (type("", "events"), "source", event, "kubelet"),
            (type("", "events"), "type", event, "Normal"),
            (type("", "secrets"), "type", ["type": "kubernetes.io/tls"], "kubernetes.io/tls"),
            (type("", "secrets"), "metadata.namespace", ["metadata": ["namespace": "x"]], "x"),
            (type("", "services"), "spec.clusterIP", ["spec": ["clusterIP": "10.43.0.1"]], "10.43.0.1"),
            (type("", "services"), "spec.type", ["spec": ["type": "NodePort"]], "NodePort"),
            (type("", "namespaces"), "status.phase", ["status": ["phase": "Active"]], "Active"),
            (type("", "namespaces"), "metadata.name", ["metadata": ["name": "default"]], "default"),
            (type("", "nodes"), "spec.unschedulable", ["spec": ["unschedulable": true]], "true"),
            (type("", "nodes"), "spec.unschedulable", bare, "false"),
            (type("apps", "replicasets"), "status.replicas", ["status": ["replicas": 3]], "3"),
            (type("apps", "replicasets"), "status.replicas", bare, "0"),
            (type("batch", "jobs"), "status.successful", ["status": ["succeeded": 2]], "2"),
            (type("batch", "jobs"), "status.successful", bare, "0"),
            (type("kubevirt.io", "virtualmachineinstances"), "status.nodeName", ["status": ["nodeName": "n"]], "n"),
            (type("kubevirt.io", "virtualmachineinstances"), "status.phase", ["status": ["phase": "Running"]], "Running"),
            (type("apps", "deployments"), "metadata.name", ["metadata": ["name": "d"]], "d"),
            (type("apps", "deployments"), "metadata.namespace", bare, ""),
        ]
        for (t, field, obj, expected) in cases {
            XCTAssertTrue(FieldSelectorSupport.isSupported(field, for: t), "\(t.resource) \(field)")
            XCTAssertEqual(FieldSelectorSupport.value(of: field, in: obj, type: t), expected, "\(t.resource) \(field)")
        }
    }

    func testUnsupportedFields() throws {
        let cases: [(ResourceType, String)] = [
            (type("", "pods"), "spec.containers"),
            (type("", "pods"), "status.nodeName"),
            (type("apps", "deployments"), "status.replicas"),
            (type("", "nodes"), "metadata.namespace"),
            (type("", "namespaces"), "metadata.namespace"),
            (type("", "configmaps"), "type"),
            (type("kubevirt.io", "virtualmachines"), "status.phase"),
            (type("events.k8s.io", "events"), "reason"),
        ]
        for (t, field) in cases {
            XCTAssertFalse(FieldSelectorSupport.isSupported(field, for: t), "\(t.storageKey) \(field)")
            XCTAssertNil(FieldSelectorSupport.value(of: field, in: [:], type: t))
            XCTAssertThrowsError(try FieldSelector.parse("\(field)=x").validate(for: t)) { error in
                XCTAssertEqual(error as? SelectorError, SelectorError.fieldLabelNotSupported(field))
                XCTAssertEqual((error as? SelectorError)?.message, "field label not supported: \(field)")
            }
        }
        // kube-apiserver checks terms in sorted order: the first unsupported one is reported.
        XCTAssertThrowsError(try FieldSelector.parse("zz=1,metadata.name=a,bb=2").validate(for: type("", "pods"))) { error in
            XCTAssertEqual((error as? SelectorError)?.message, "field label not supported: bb")
        }
        XCTAssertNoThrow(try FieldSelector.parse("metadata.name=a,status.phase!=Failed").validate(for: type("", "pods")))
    }

    func testObjectMatching() throws {
        let pods = type("", "pods")
        let unbound: JSONValue = ["metadata": ["name": "a"], "spec": [:], "status": ["phase": "Pending"]]
        let bound: JSONValue = ["metadata": ["name": "b"], "spec": ["nodeName": "n1"], "status": ["phase": "Running"]]
        let sel = try FieldSelector.parse("spec.nodeName=")
        XCTAssertTrue(sel.matches(unbound, type: pods))
        XCTAssertFalse(sel.matches(bound, type: pods))
        XCTAssertTrue(try FieldSelector.parse("spec.nodeName=n1,status.phase!=Pending").matches(bound, type: pods))
        XCTAssertFalse(try FieldSelector.parse("metadata.name=a,status.phase=Running").matches(unbound, type: pods))
    }
}
