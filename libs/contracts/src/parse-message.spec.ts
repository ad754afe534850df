import { CommandResultDto, parseJsonMessage, RejectReason, VehicleStatusDto } from '@fleet/contracts';

describe('parseJsonMessage', () => {
  it('returns a validated instance', () => {
    const parsed = parseJsonMessage(VehicleStatusDto, Buffer.from('{"online":false}'), 'status');
    expect(parsed).toEqual({ ok: true, value: { online: false } });
    expect(parsed.ok && parsed.value).toBeInstanceOf(VehicleStatusDto);
  });

  it.each([
    ['not JSON', '{"online":', RejectReason.MalformedJson, 'JSON'],
    ['a JSON number', '42', RejectReason.SchemaViolation, 'status must be a JSON object'],
    ['a JSON array', '[true]', RejectReason.SchemaViolation, 'status must be a JSON object'],
    ['null', 'null', RejectReason.SchemaViolation, 'status must be a JSON object'],
    ['a field off its rule', '{"online":"yes"}', RejectReason.SchemaViolation, 'online'],
  ])('refuses %s with its reason', (_name, payload, reason, detail) => {
    const parsed = parseJsonMessage(VehicleStatusDto, Buffer.from(payload), 'status');
    expect(parsed).toMatchObject({ ok: false, reason });
    expect(!parsed.ok && parsed.details).toContain(detail);
  });

  it('names every broken field of a command result', () => {
    const parsed = parseJsonMessage(
      CommandResultDto,
      Buffer.from('{"commandId":"x","status":"maybe"}'),
      'command result',
    );
    expect(parsed.ok).toBe(false);
    if (!parsed.ok)
      for (const field of ['commandId', 'status', 'ts']) expect(parsed.details).toContain(field);
  });
});
