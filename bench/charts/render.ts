export async function renderCharts(): Promise<void> {}
