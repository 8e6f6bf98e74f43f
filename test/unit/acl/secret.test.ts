// Passwords turned into digests from bytes: ACL rules, password settings, config and ACL files.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { aclFileWords, configTextWithoutSecrets, hashedSetting, hashedSettingText, holdsSecret, safeRule } from '../../../src/acl/secret.js';

const hex = (s: string) => createHash('sha256').update(Buffer.from(s, 'latin1')).digest('hex');
const bytes = (s: string) => Buffer.from(s, 'latin1');

describe('password digests', () => {
  it('safeRule: >pw and <pw become #digest and !digest, other rules stay as they are', () => {
    expect(safeRule(bytes('>s3cret'))).toBe('#' + hex('s3cret'));
    expect(safeRule(bytes('<s3cret'))).toBe('!' + hex('s3cret'));
    expect(safeRule(bytes('>'))).toBe('#' + hex(''));
    expect(safeRule(bytes('~app:*'))).toBe('~app:*');
    expect(safeRule(bytes('+@all'))).toBe('+@all');
    // Binary passwords are hashed as the bytes they are.
    expect(safeRule(Buffer.from([0x3e, 0xff, 0x00]))).toBe('#' + createHash('sha256').update(Buffer.from([0xff, 0x00])).digest('hex'));
  });

  it('safeRule: a password-like word inside a selector becomes a digest, the selector keeps its shape', () => {
    expect(safeRule(bytes('(~a >pw +get)'))).toBe(`(~a #${hex('>pw')} +get)`);
    expect(safeRule(bytes('(>pw)'))).toBe(`(#${hex('>pw')})`);
    expect(safeRule(bytes('( "<pw" )'))).toBe(`( "#${hex('<pw')}" )`);
    expect(safeRule(bytes("('>pw')"))).toBe(`('#${hex('>pw')}')`);
    expect(safeRule(bytes('(~a +get)'))).toBe('(~a +get)');
    expect(holdsSecret(bytes('(~a >pw +get)'))).toBe(true);
    expect(holdsSecret(bytes('>pw'))).toBe(true);
    expect(holdsSecret(bytes('(~a> +get)'))).toBe(false);
  });

  it('a password setting is stored as #digest; empty stays empty; a digest is taken as it is', () => {
    expect(hashedSetting(bytes('pw'))).toBe('#' + hex('pw'));
    expect(hashedSetting(bytes(''))).toBe('');
    const digest = '#' + hex('x');
    expect(hashedSetting(bytes(digest))).toBe(digest);
    expect(hashedSettingText(digest)).toBe(digest);
    expect(hashedSettingText('pw')).toBe('#' + hex('pw'));
    // Not a digest: upper-case hex, or the wrong length, is a password like any other.
    expect(hashedSetting(bytes(digest.toUpperCase()))).toBe('#' + hex(digest.toUpperCase()));
    expect(hashedSettingText('#abc')).toBe('#' + hex('#abc'));
    expect(hashedSettingText('pässword')).toBe('#' + createHash('sha256').update('pässword', 'utf8').digest('hex'));
  });

  it('a config file: a user line with a password-like word in a quoted selector keeps it only as a digest', () => {
    const text = configTextWithoutSecrets(bytes('user bob on "(~a >pw +get)" nopass\nuser carl on (~b +get)\n'));
    expect(text.split('\n')).toEqual([`user "bob" "on" "(~a #${hex('>pw')} +get)" "nopass"`, 'user carl on (~b +get)', '']);
  });

  it('a config file: password settings become digests (quotes, escapes), a faulty one keeps its fault but not its words, the rest is untouched, the bytes are zeroed', () => {
    const file = Buffer.from(
      '# comment\nport 7000\nrequirepass "two \\"words\\""\nRequirePass \'single q\'\nrequirepass a  b\nrequirepass ""\nrequirepass\nmaxmemory 4mb',
      'utf8',
    );
    const text = configTextWithoutSecrets(file);
    expect(text.split('\n')).toEqual([
      '# comment',
      'port 7000',
      `requirepass "#${hex('two "words"')}"`,
      `requirepass "#${hex('single q')}"`,
      // Several words are an error Redis reports; the words themselves are not kept.
      'requirepass x x',
      'requirepass ""',
      'requirepass',
      'maxmemory 4mb',
    ]);
    expect(file.every((b) => b === 0)).toBe(true);
  });

  it('an ACL file: words per line, password rules as digests, blank lines kept, the bytes are zeroed', () => {
    const file = bytes('# users\r\nuser app on >app-pw ~app:* +@all\n\nuser old on <gone\tnopass\n');
    expect(aclFileWords(file)).toEqual([
      ['#', 'users'],
      ['user', 'app', 'on', '#' + hex('app-pw'), '~app:*', '+@all'],
      [],
      ['user', 'old', 'on', '!' + hex('gone'), 'nopass'],
      [],
    ]);
    expect(file.every((b) => b === 0)).toBe(true);
  });
});
