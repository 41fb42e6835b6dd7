// Tests threshold calibration: no ordinary session reaches the threshold on K consecutive scores, by construction,
// and an attacker the score separates is caught.
import { describe, expect, it } from 'vitest';
import { FEATURE_NAMES } from '../../../src/behaviour/features.js';
import { calibrateBlockThreshold } from '../../../src/behaviour/calibrate.js';

describe('calibrateBlockThreshold', () => {
  it('puts the threshold just above the highest ordinary K-in-a-row score and reports who is caught', () => {
    const i = FEATURE_NAMES.indexOf('write_ratio' as (typeof FEATURE_NAMES)[number]);
    expect(i).toBeGreaterThanOrEqual(0);
    // "model": the share of writes (POST /api/login) in the window: credential stuffers ≈ 1, users ≈ 0
    const forest = { score: (x: ArrayLike<number>) => x[i] };
    const c = calibrateBlockThreshold(forest, { consecutive: 3, minEvents: 20, ordinarySessions: 20, attackerSessions: 5, margin: 0.01 });
    expect(c.threshold).toBeCloseTo(c.ordinaryMax + 0.01, 10);
    for (const name of ['browser_user', 'mobile_user', 'shared_office']) expect(c.perProfile[name].caught).toBe(0);
    expect(c.perProfile.credential_stuffer.caught).toBeGreaterThanOrEqual(4);
    expect(c.perProfile.credential_stuffer.medianFirstCaught).toBeGreaterThanOrEqual(22); // minEvents + K - 1
  });
});
