import { hashMqttPassword, newMqttPassword, verifyMqttPassword } from './mqtt-credentials';

describe('MQTT credentials', () => {
  it('verifies the password it hashed and nothing else', () => {
    const password = newMqttPassword();
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const stored = hashMqttPassword(password);
    expect(stored).toMatch(/^\$7\$101\$[A-Za-z0-9+/=]{16}\$[A-Za-z0-9+/=]{88}$/);
    expect(verifyMqttPassword(password, stored)).toBe(true);
    expect(verifyMqttPassword(`${password}x`, stored)).toBe(false);
    expect(newMqttPassword()).not.toBe(password);
  });

  it('reads a hash written by mosquitto_passwd (secret123)', () => {
    const fromMosquitto =
      '$7$101$XAOE+XXDlCMlSAKh$cdB0mIxTucWTkHRgREOjtjH2n/TVTkcdZ0HQYb448YSmWplT5imX31A9d4ZiTP2iDqp/u06tIEkT4jNs7PrncA==';
    expect(verifyMqttPassword('secret123', fromMosquitto)).toBe(true);
    expect(verifyMqttPassword('secret124', fromMosquitto)).toBe(false);
  });

  it.each([
    '',
    'plain',
    '$6$101$c2FsdA==$aGFzaA==',
    '$7$0$c2FsdA==$aGFzaA==',
    '$7$101$$aGFzaA==',
    '$7$101$c2FsdA==$',
  ])('refuses a malformed stored value %j', (stored) =>
    expect(verifyMqttPassword('secret123', stored)).toBe(false),
  );
});
