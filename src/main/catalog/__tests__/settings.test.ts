import { afterAll, describe, expect, it } from 'vitest';
import { tempServices } from '../../../../test/helpers/tempServices';
import { readSettings, updateSettings } from '../settings';

const s = tempServices('cxr-settings-');
afterAll(() => s.cleanup());

describe('settings.set and its audit row', () => {
  it('commits the change with its audit row, and neither when the audit write fails', () => {
    updateSettings(s.catalog, { reviewerName: 'Dr Ada' });
    const before = readSettings(s.catalog);
    const audits = () => s.catalog.prepare(`SELECT count(*) FROM audit_log WHERE action = 'settings.set'`).pluck().get() as number;
    expect(audits()).toBe(1);
    // A real failure of the audit insert (a full disk looks the same to the transaction).
    s.catalog.exec(`CREATE TEMP TRIGGER audit_fails BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit log unavailable'); END`);
    try {
      expect(() => updateSettings(s.catalog, { reviewerName: 'Mallory', operatingThreshold: 0.9 })).toThrow(/audit log unavailable/);
    } finally {
      s.catalog.exec('DROP TRIGGER audit_fails');
    }
    expect(readSettings(s.catalog)).toEqual(before);
    expect(before.reviewerName).toBe('Dr Ada');
    expect(audits()).toBe(1);
  });
});
