import XCTest
@testable import CorralContainers

final class CorralContainersModuleTests: XCTestCase {
    func testModuleLinks() { _ = CorralContainersModule.self }
}
