import { describe, expect, it } from 'vitest';
import {
  ERROR_CODES,
  NetworkError,
  StorageError,
  TidesyncError,
  ValidationError,
  isTidesyncError,
  toErrorCode,
} from 'tidesync';

describe('error identity across copies of tidesync', () => {
  it('recognises a branded error from another copy (a look-alike class tree)', () => {
    // Another copy of the library (the CJS build next to the ESM one) has its own classes;
    // only the shared Symbol.for brand links them. test/package checks the real builds.
    const brand = Symbol.for('tidesync.error');
    class OtherTidesyncError extends Error {
      readonly code = 'VALIDATION_FAILED';
      constructor() {
        super('from the other build');
        Object.defineProperty(this, brand, { value: true });
      }
    }
    class ValidationErrorCopy extends OtherTidesyncError {}
    Object.defineProperty(ValidationErrorCopy, 'name', { value: 'ValidationError' });
    const foreign = new ValidationErrorCopy();
    expect(isTidesyncError(foreign)).toBe(true);
    expect(foreign instanceof TidesyncError).toBe(true);
    expect(foreign instanceof ValidationError).toBe(true);
    expect(foreign instanceof NetworkError).toBe(false);
  });

  it('keeps ordinary instanceof and refuses unbranded look-alikes', () => {
    const own = new StorageError('STORAGE_BUSY', 'busy');
    expect(own instanceof TidesyncError && own instanceof StorageError).toBe(true);
    expect(own instanceof ValidationError).toBe(false);
    const plain = Object.assign(new Error('x'), { code: 'VALIDATION_FAILED' });
    expect(isTidesyncError(plain)).toBe(false);
    expect(plain instanceof TidesyncError).toBe(false);
    expect(isTidesyncError(null)).toBe(false);
  });
});

describe('toErrorCode', () => {
  it('maps wire codes to thrown codes and keeps thrown codes', () => {
    expect(toErrorCode('validation_failed')).toBe('VALIDATION_FAILED');
    expect(toErrorCode('forbidden')).toBe('OP_REJECTED');
    expect(toErrorCode('not_found')).toBe('RECORD_NOT_FOUND');
    expect(toErrorCode('unknown_collection')).toBe('UNKNOWN_COLLECTION');
    expect(toErrorCode('SERVER_ERROR')).toBe('SERVER_ERROR');
    expect(toErrorCode('something_new')).toBe('OP_REJECTED');
    for (const code of ERROR_CODES) expect(toErrorCode(code)).toBe(code);
  });
});
