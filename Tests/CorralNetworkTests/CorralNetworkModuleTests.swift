import XCTest
@testable import CorralNetwork

final class CorralNetworkModuleTests: XCTestCase {
    func testModuleLinks() { _ = CorralNetworkModule.self }
}
