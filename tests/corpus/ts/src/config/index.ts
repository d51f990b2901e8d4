export const config = {
  databaseUrl: required(process.env.DATABASE_URL),
  caBundle: process.env.CA_BUNDLE ?? '/etc/ssl/corp-ca.pem',
  retries: Number(process.env.RETRIES ?? '3'),
};

function required(v: string | undefined): string {
  if (!v) throw new Error('missing setting');
  return v;
}
