import { describe, expect, it } from 'vitest';
import { Metrics } from './metrics.js';

describe('Metrics', () => {
  it('renders request latencies as a cumulative Prometheus histogram per plugin, method and code', async () => {
    const metrics = new Metrics(() => [{ service: 'leases', packageName: 'sugar-server-leases', state: 'running' }]);
    metrics.observeRequest('leases', 'GET', 200, 0.0005);
    metrics.observeRequest('leases', 'GET', 200, 0.02);
    metrics.observeRequest('leases', 'GET', 200, 7);
    metrics.observeRequest('core', 'GET', 404, 0.002);
    const text = await metrics.text();
    const line = (le: string) => `sugar_server_http_request_duration_seconds_bucket{le="${le}",plugin="leases",method="GET",code="200"}`;
    expect(text).toContain('# TYPE sugar_server_http_request_duration_seconds histogram');
    expect(text).toContain(`${line('0.001')} 1\n`);
    expect(text).toContain(`${line('0.01')} 1\n`);
    expect(text).toContain(`${line('0.05')} 2\n`);
    expect(text).toContain(`${line('5')} 2\n`);
    expect(text).toContain(`${line('+Inf')} 3\n`);
    expect(text).toContain('sugar_server_http_request_duration_seconds_count{plugin="leases",method="GET",code="200"} 3\n');
    expect(text).toMatch(/sugar_server_http_request_duration_seconds_sum\{plugin="leases",method="GET",code="200"\} 7\.020/);
    expect(text).toContain('sugar_server_http_request_duration_seconds_count{plugin="core",method="GET",code="404"} 1');
    expect(text).toContain('sugar_server_plugin_state{service="leases",package="sugar-server-leases",state="running"} 1');
  });
});
