export { backupEmbedded, restoreEmbedded } from './embedded';
export { DataDirInUseError, lockDataDir } from './lock';
export {
  backupPostgres,
  BackupError,
  checkClientMatchesServer,
  clientMajor,
  libpqEnv,
  restorePostgres,
  serverMajor,
  type PgTools,
} from './postgres';
