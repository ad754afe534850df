// PLACEHOLDER until the mail branch merges (same API).
export const staffInvitation = (p: { name: string; role: string; link: string; expiresAt: Date }) => ({
  subject: 'Invitation',
  text: `${p.name} ${p.role} ${p.link} ${p.expiresAt.toISOString()}`,
});
export const registrationAttempt = (p: { email: string }) => ({
  subject: 'Registration attempt',
  text: p.email,
});
