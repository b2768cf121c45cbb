export function writePerformanceDoc(): void {}
